import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PLDCore
import Prometheus
import Synchronization

/// `operator.metrics_port`: Prometheus text exposition (`GET /metrics`) on 127.0.0.1 — tick
/// timing, stalls, safety events, episodes, success, e-stops, faults, link ages. Values are read
/// from the run's atomics at scrape time (swift-prometheus formats them); the control thread
/// never touches this.
///
/// Threading: one NIO event loop thread; scrapes are serialized on it.
public final class MetricsServer: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Mutex<Channel?> = Mutex(nil)
    private let exporter: MetricsExporter
    public let port: Int

    init(port: Int, view: OperatorView) throws(RuntimeError) {
        exporter = MetricsExporter(view: view)
        let exporter = self.exporter
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(exporter: exporter))
                }
            }
        do {
            let bound = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
            channel.withLock { $0 = bound }
        } catch {
            try? group.syncShutdownGracefully()
            throw RuntimeError("metrics: cannot listen on 127.0.0.1:\(port) (operator.metrics_port): \(error)")
        }
        self.port = port
    }

    func stop() {
        channel.withLock { $0 = nil }
        try? group.syncShutdownGracefully()
    }

    /// The exposition text as a scrape would get it (tests).
    func scrape() -> String { String(decoding: exporter.exposition(), as: UTF8.self) }
}

/// Our metric names are written whole, unit suffix included (`pld_ticks_total`), so the
/// descriptor carries the full name and no separate unit; the exposed name is exactly `name`.
private func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// Owns the Prometheus registry and brings it up to date from the run before each scrape.
final class MetricsExporter: Sendable {
    private let view: OperatorView
    private let registry: PrometheusCollectorRegistry
    private let counters: [(RunStatusBoard.Counter, Counter)]
    private let lastCounts: Mutex<[UInt64]>
    private let ticks: Counter
    private let misses: Counter
    private let lastLoop = Mutex<(ticks: UInt64, misses: UInt64)>((0, 0))
    private let computeP50: Gauge, computeP99: Gauge, computeMax: Gauge, jitterP99: Gauge
    private let successRate: Gauge, state: Gauge, episode: Gauge, step: Gauge
    private let linkAges: [(index: Int, gauge: Gauge, healthy: Gauge)]

    init(view: OperatorView) {
        self.view = view
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let names: [(RunStatusBoard.Counter, String, String)] = [
            (.episodes, "pld_episodes_total", "Episodes ended (any outcome)."),
            (.successes, "pld_episode_successes_total", "Episodes that ended in success."),
            (.episodesAborted, "pld_episodes_aborted_total", "Episodes that ended aborted (e-stop, fault, operator reset, stop)."),
            (.policyStalls, "pld_policy_stall_ticks_total", "Ticks the arms held because no base action was usable."),
            (.safetyEvents, "pld_safety_events_total", "Safety chain events (clamps, limits, holds)."),
            (.estops, "pld_estops_total", "E-stop latches raised (operator, dead-man, fatal safety event)."),
            (.interventions, "pld_interventions_total", "Operator verdicts (mark success/failure)."),
            (.manualResets, "pld_manual_resets_total", "Operator resets."),
            (.faultsDriver, "pld_faults_driver_total", "Episodes ended by a stale arm state (driver lost, state dropped)."),
            (.faultsPolicy, "pld_faults_policy_total", "Episodes ended by a stalled or lost base policy server."),
            (.faultsCamera, "pld_faults_camera_total", "Episodes ended by a frozen camera."),
            (.recorderDroppedSteps, "pld_recorder_dropped_steps_total", "Steps the recorder queue could not take."),
        ]
        counters = names.map { ($0.0, registry.makeCounter(descriptor: metric($0.1, $0.2))) }
        lastCounts = Mutex([UInt64](repeating: 0, count: names.count))
        ticks = registry.makeCounter(descriptor: metric("pld_ticks_total", "Control ticks run."))
        misses = registry.makeCounter(descriptor: metric("pld_deadline_misses_total", "Ticks that started after their deadline."))
        computeP50 = registry.makeGauge(descriptor: metric("pld_tick_compute_p50_seconds", "Tick compute time, median since the start."))
        computeP99 = registry.makeGauge(descriptor: metric("pld_tick_compute_p99_seconds", "Tick compute time, 99th percentile since the start."))
        computeMax = registry.makeGauge(descriptor: metric("pld_tick_compute_max_seconds", "Longest tick compute time since the start."))
        jitterP99 = registry.makeGauge(descriptor: metric("pld_tick_jitter_p99_seconds", "Tick wake-up lateness, 99th percentile since the start."))
        successRate = registry.makeGauge(descriptor: metric("pld_success_rate_last_50", "Success rate over the last 50 completed episodes."))
        state = registry.makeGauge(descriptor: metric(
            "pld_run_state", "1 starting, 2 running, 3 paused, 4 estopped, 5 resetting, 6 stopping, 7 faulted, 8 finished."))
        episode = registry.makeGauge(descriptor: metric("pld_episode", "Index of the current episode."))
        step = registry.makeGauge(descriptor: metric("pld_episode_step", "Step within the current episode."))
        linkAges = view.config.arms.enumerated().map { i, arm in
            (i, registry.makeGauge(descriptor: metric("pld_link_age_seconds", "Age of the newest message on a link."), labels: [("link", "\(arm.name).state")]),
             registry.makeGauge(descriptor: metric("pld_link_healthy", "1 when the link is fresh."), labels: [("link", "\(arm.name).state")]))
        }
    }

    func exposition() -> [UInt8] {
        let board = view.status
        lastCounts.withLock { last in
            for (i, (counter, metric)) in counters.enumerated() {
                let value = board.value(counter)
                if value > last[i] { metric.increment(by: Int64(value - last[i])) }
                last[i] = value
            }
        }
        lastLoop.withLock { last in
            let t = view.loop.ticks, m = view.loop.misses
            if t > last.ticks { ticks.increment(by: Int64(t - last.ticks)) }
            if m > last.misses { misses.increment(by: Int64(m - last.misses)) }
            last = (t, m)
        }
        computeP50.set(Double(view.loop.compute.percentile(0.5)) / 1e9)
        computeP99.set(Double(view.loop.compute.percentile(0.99)) / 1e9)
        computeMax.set(Double(view.loop.compute.max) / 1e9)
        jitterP99.set(Double(view.loop.jitter.percentile(0.99)) / 1e9)
        successRate.set(board.rollingSuccessRate)
        state.set(Double(board.state.rawValue))
        episode.set(Double(board.episode))
        step.set(Double(board.step))
        let now = monotonicNanos()
        for link in linkAges {
            let (receivedAt, stale) = board.arm(link.index)
            link.gauge.set(receivedAt == 0 ? -1 : Double(now &- receivedAt) / 1e9)
            link.healthy.set(stale ? 0.0 : 1.0)
        }
        return registry.emitToBuffer()
    }
}

/// GET /metrics → the exposition; anything else → 404. One request per connection is enough
/// for Prometheus and curl; keep-alive is honoured by NIO's HTTP server pipeline.
private final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let exporter: MetricsExporter
    private var path = ""

    init(exporter: MetricsExporter) { self.exporter = exporter }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head): path = head.method == .GET ? head.uri : ""
        case .body: break
        case .end:
            let ok = path == "/metrics" || path.hasPrefix("/metrics?")
            let body = ok ? exporter.exposition() : Array("not found: try GET /metrics\n".utf8)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
            headers.add(name: "Content-Length", value: "\(body.count)")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: ok ? .ok : .notFound, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
