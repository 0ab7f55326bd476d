"""Tools/train_classifier: the numpy classifier the runtime's `kind: mlp` loads."""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "train_classifier")
sys.path.insert(0, TOOL)
import classifier_mlp  # noqa: E402


def test_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    hidden = [6, 5]
    params = classifier_mlp.init_params(4, hidden, rng)
    for k in params:
        if ".ln." in k:
            params[k] = params[k] + rng.normal(0, 0.3, params[k].shape)
    x = rng.normal(0, 1, (7, 4))
    y = (rng.random(7) > 0.5).astype(float)

    def loss(p):
        _, logit = classifier_mlp.forward(p, x, hidden)
        return np.mean(np.logaddexp(0, logit) - y * logit)

    cache = []
    _, logit = classifier_mlp.forward(params, x, hidden, cache=cache)
    grads = classifier_mlp.backward(params, cache, logit, y, hidden)
    worst = 0.0
    for k, value in params.items():
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + 1e-6
            a = loss(params)
            value[i] = old - 1e-6
            b = loss(params)
            value[i] = old
            worst = max(worst, abs((a - b) / 2e-6 - grads[k][i]))
    assert worst < 1e-7, worst


def test_training_separates_a_learnable_rule():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (2000, 3))
    y = ((x[:, 0] > 0.3) & (x[:, 2] < 0.5)).astype(float)  # a rule like "seated and released"
    params, mean, std = classifier_mlp.train(x, y, hidden=(32, 32), steps=1500, seed=0)
    scores = classifier_mlp.predict(params, mean, std, (32, 32), x)
    accuracy = ((scores >= 0.5) == (y >= 0.5)).mean()
    assert accuracy > 0.97, accuracy


def test_training_refuses_labels_of_one_kind(tmp_path):
    try:
        classifier_mlp.train(np.zeros((10, 2)), np.zeros(10), steps=1)
    except ValueError as error:
        assert "positive" in str(error)
    else:
        raise AssertionError("trained on negatives only")


def test_reference_writes_a_file_and_json(tmp_path):
    out = tmp_path / "c.safetensors"
    result = subprocess.run([sys.executable, os.path.join(TOOL, "train_classifier.py"), "reference", str(out), "--input-dim", "4",
                             "--count", "5"], capture_output=True, text=True, check=True)
    reference = json.loads(result.stdout)
    assert len(reference["scores"]) == 5 and out.stat().st_size > 100


def test_a_missing_run_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, os.path.join(TOOL, "train_classifier.py"), "train", "--run", str(tmp_path / "nope"),
                             "--out", str(tmp_path / "x.safetensors"), "--input", "observations/gripper", "--label", "classifier/x"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "index.jsonl" in result.stderr
