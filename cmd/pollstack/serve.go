package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/metrics"
	"github.com/pollstack/pollstack/internal/retention"
	"github.com/pollstack/pollstack/web"
)

// Main is a running server: tests start it on 127.0.0.1:0 and stop it
// through its context, exactly as the process does on SIGTERM.
type Main struct {
	Config Config
	Log    *slog.Logger
	// Out takes the EMF metric lines, beside the JSON log; nil: none.
	Out io.Writer

	metrics  *metrics.Metrics
	store    pollstack.Store
	web      *web.Server
	http     *http.Server
	listener net.Listener
	private  *http.Server // the metrics listener, never public
	privLn   net.Listener
}

// Open opens the store and starts listening; Serve then serves.
func (m *Main) Open(ctx context.Context) error {
	m.metrics = metrics.New()
	store, err := openStore(ctx, m.Config.Store, m.Log, m.metrics.Batch)
	if err != nil {
		return err
	}
	key, err := serverKey(ctx, m.Config.ServerKey, m.Log)
	if err != nil {
		store.Close()
		return err
	}
	m.store = store
	m.metrics.Transactions(store)
	if m.Config.TrustProxy && m.Config.PublicURL == "" {
		m.Log.Warn("behind a proxy without --public-url: share and admin links are relative")
	}
	m.web = web.New(web.Config{
		Store: m.metrics.Store(store), Logger: m.Log, TrustProxy: m.Config.TrustProxy, PublicURL: m.Config.PublicURL, ServerKey: key,
		CreatesPerMinute: m.Config.CreateRateLimit, VotesPerSecond: m.Config.VoteRateLimit, VoterCodesPerHour: m.Config.VoterCodeBudget, RoomVotes: m.Config.RoomVotes,
		Streams: m.Config.StreamLimit, StreamsPerAddress: m.Config.StreamLimitPerAddress,
		Metrics: m.metrics, SlowRequest: m.Config.LogSlow, LogSample: m.Config.LogSample,
		Retention: m.Config.Retention,
	})
	m.http = &http.Server{
		Handler:           m.web,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// No WriteTimeout: live-results streams stay open; handlers bound their own work.
		IdleTimeout:    75 * time.Second, // longer than the ALB's 60 s idle timeout
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		store.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = web.LimitConnections(ln, m.connLimits())
	if m.Config.MetricsAddr != "" {
		if err := m.listenMetrics(); err != nil {
			ln.Close()
			store.Close()
			return err
		}
	}
	if m.Config.DebugAddr != "" {
		go m.serveDebug()
	}
	m.Log.Info("started", "addr", ln.Addr().String(), "store", string(m.Config.Store.Kind), "version", version())
	return nil
}

// connLimits are the caps on open connections. Behind a trusted proxy every
// connection comes from the load balancer, which holds the clients' own
// connections: a cap per address would cap the load balancer.
func (m *Main) connLimits() web.ConnLimits {
	limits := web.ConnLimits{Total: m.Config.ConnLimit, PerClient: m.Config.ConnsPerAddr}
	if m.Config.TrustProxy {
		limits.PerClient = 0
	}
	return limits
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// MetricsAddr is the address of the metrics listener, empty when it is off.
func (m *Main) MetricsAddr() string {
	if m.privLn == nil {
		return ""
	}
	return m.privLn.Addr().String()
}

// listenMetrics opens the Prometheus listener: its own address and its own
// mux, so that the public handler can never serve /metrics.
func (m *Main) listenMetrics() error {
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (--metrics-addr): %w", m.Config.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metrics.Handler())
	m.privLn = ln
	m.private = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := m.private.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("metrics listener stopped", "error", err.Error())
		}
	}()
	m.Log.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}

// Serve serves until ctx ends, then drains and shuts down:
//  1. readiness fails at once, so the load balancer stops sending requests;
//  2. the server keeps serving for the drain period (the target group's
//     deregistration delay) for requests already on their way;
//  3. the HTTP server shuts down, giving in-flight requests the shutdown timeout;
//  4. the store commits the votes still queued and closes.
func (m *Main) Serve(ctx context.Context) error {
	// The EMF lines go on until the store has committed its last votes,
	// and a last one then.
	emfCtx, stopEMF := context.WithCancel(context.Background())
	emfDone := make(chan struct{})
	go func() {
		defer close(emfDone)
		if m.Out != nil {
			m.metrics.RunEMF(emfCtx, m.Out, m.Config.MetricsService, m.Config.EMFInterval, func(err error) {
				m.Log.Warn("metrics line not written", "error", err.Error())
			})
		}
	}()
	defer func() { stopEMF(); <-emfDone }()
	if m.private != nil {
		defer m.private.Close()
	}
	stopRetention := m.startRetention()
	served := make(chan error, 1)
	go func() { served <- m.http.Serve(m.listener) }()
	select {
	case err := <-served:
		stopRetention()
		m.store.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stopRetention() // before the store closes
	start := time.Now()
	m.Log.Info("draining", "drain_period", m.Config.DrainPeriod.String())
	m.web.Drain()
	time.Sleep(m.Config.DrainPeriod)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	m.web.CloseStreams()
	err := m.http.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		m.Log.Warn("shutdown timeout: closing remaining connections")
		err = m.http.Close()
	}
	err = errors.Join(err, m.store.Close())
	m.Log.Info("stopped", "shutdown_seconds", time.Since(start).Seconds())
	return err
}

// startRetention starts the retention job (off with --retention 0s) and
// returns the function that stops it and waits for its step to end.
func (m *Main) startRetention() (stop func()) {
	if m.Config.Retention <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		retention.Job{Store: m.store, Retention: m.Config.Retention, Log: m.Log}.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// serveDebug serves the profiler on its own listener, off by default: it is
// for an operator on the host, never for the load balancer.
func (m *Main) serveDebug() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: m.Config.DebugAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.Log.Warn("profiler listening", "addr", m.Config.DebugAddr)
	if err := srv.ListenAndServe(); err != nil {
		m.Log.Error("profiler stopped", "error", err.Error())
	}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig("pollstack serve", args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "pollstack serve:", err)
		return 2
	}
	m := &Main{Config: cfg, Log: newLogger(stdout, cfg.LogLevel, cfg.LogFormat), Out: stdout}
	if err := m.Open(ctx); err != nil {
		m.Log.Error("start failed", "error", err.Error())
		return 1
	}
	if err := m.Serve(ctx); err != nil {
		m.Log.Error("stopped with an error", "error", err.Error())
		return 1
	}
	return 0
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseConfig("pollstack migrate", args, getenv, stderr, migrateSettings...)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "pollstack migrate:", err)
		return 2
	}
	if cfg.Store.InitRoles && (cfg.Store.Kind != Postgres || cfg.Store.MigratorUser == "" || cfg.Store.AppUser == "") {
		fmt.Fprintln(stderr, "pollstack migrate: --init-roles needs a PostgreSQL --database-url, --migrator-user and --app-user")
		return 2
	}
	log := newLogger(stdout, cfg.LogLevel, cfg.LogFormat)
	if err := migrate(ctx, cfg.Store, log); err != nil {
		log.Error("migrate failed", "error", err.Error())
		return 1
	}
	return 0
}

// migrate applies the migrations (opening a store does) and, when asked,
// sets up the app role. It runs as the database owner, once per deploy.
func migrate(ctx context.Context, cfg StoreConfig, log *slog.Logger) error {
	cfg.NoMigrations = false // whatever POLLSTACK_DB_MIGRATE says for the server
	if cfg.Kind == SQLite {
		store, err := openStore(ctx, cfg, log, nil)
		if err != nil {
			return err
		}
		log.Info("migrations applied", "store", string(cfg.Kind))
		return store.Close()
	}
	if cfg.InitRoles {
		return initRoles(ctx, cfg, log)
	}
	store, err := openPostgres(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	log.Info("migrations applied", "store", string(cfg.Kind))
	if cfg.AppUser == "" {
		return nil
	}
	closed, err := store.EnsureAppRole(ctx, cfg.AppUser)
	if err != nil {
		return err
	}
	log.Info("app role ready", "role", cfg.AppUser, "other_databases_closed", closed)
	return nil
}

// initRoles makes the migrator and app roles as the master user, and
// migrates nothing: the migrator does, on the next deploy.
func initRoles(ctx context.Context, cfg StoreConfig, log *slog.Logger) error {
	store, err := openPostgres(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	closed, err := store.InitRoles(ctx, cfg.MigratorUser, cfg.AppUser)
	if err != nil {
		return err
	}
	log.Info("database roles ready", "migrator", cfg.MigratorUser, "app", cfg.AppUser, "other_databases_closed", closed)
	return nil
}

// newLogger logs JSON for machines (CloudWatch), or text lines for a
// person at a terminal: format auto chooses by what w is.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" || format == "auto" && isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// isTerminal reports whether w is a terminal (a character device that is
// not /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(info, null)
}
