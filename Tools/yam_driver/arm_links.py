"""The three ZeroMQ links of one arm (Sources/Wire/proto/pld_arm.proto header):

  state    driver PUB, binds          ArmState, one frame, no topic
  command  driver SUB, connects       ArmCommand; CONFLATE, so only the newest is kept
  control  driver REP, binds          ArmRequest -> ArmReply

Only the driver loop thread touches these sockets. Nothing here blocks: reads are
non-blocking and return None when there is nothing to read; the state PUB drops when its
high-water mark is reached rather than stall the loop.
"""

from typing import List, Optional

import zmq

from i2rt_arm import StartupError
from pldproto import pld_arm_pb2

# Bounds on what ZeroMQ accepts at all; the decoders have tighter limits and answer them.
MAX_MESSAGE_BYTES = 1 << 20


class ArmLinks:
    def __init__(self, ctx: zmq.Context, state_endpoint: str, control_endpoint: str, command_endpoint: str) -> None:
        self._sockets: List[zmq.Socket] = []
        try:
            self.state = self._socket(ctx, zmq.PUB)
            self.state.setsockopt(zmq.SNDHWM, 16)
            self._bind(self.state, state_endpoint, "state PUB")
            self.control = self._socket(ctx, zmq.REP)
            self.control.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            self._bind(self.control, control_endpoint, "control REP")
            self.command = self._socket(ctx, zmq.SUB)
            self.command.setsockopt(zmq.CONFLATE, 1)
            self.command.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
            self.command.setsockopt(zmq.SUBSCRIBE, b"")
            try:
                self.command.connect(command_endpoint)
            except zmq.ZMQError as exc:
                raise StartupError(f"cannot connect the command SUB to {command_endpoint}: {exc}") from None
        except Exception:
            self.close()
            raise

    def _socket(self, ctx: zmq.Context, kind: int) -> zmq.Socket:
        s = ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        self._sockets.append(s)
        return s

    @staticmethod
    def _bind(sock: zmq.Socket, endpoint: str, what: str) -> None:
        try:
            sock.bind(endpoint)
        except zmq.ZMQError as exc:
            raise StartupError(f"cannot bind the {what} on {endpoint}: {exc}") from None

    def newest_command(self) -> Optional[bytes]:
        newest = None
        while True:
            try:
                newest = self.command.recv(zmq.NOBLOCK)
            except zmq.Again:
                return newest

    def next_request(self) -> Optional[List[bytes]]:
        try:
            return self.control.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return None

    def reply(self, reply: pld_arm_pb2.ArmReply) -> None:
        self.control.send(reply.SerializeToString())

    def publish(self, state: pld_arm_pb2.ArmState) -> None:
        try:
            self.state.send(state.SerializeToString(), zmq.NOBLOCK)
        except zmq.Again:
            pass

    def close(self) -> None:
        for s in self._sockets:
            s.close(linger=0)
        self._sockets = []
