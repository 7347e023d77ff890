package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pollstack/pollstack/internal/changefeed"
)

// The change feed. Every change to a poll's counts or state sends NOTIFY on
// changesChannel with the poll IDs once it has committed (vote batches, in
// a transaction of their own soon after, at most one per announceGap, see
// announcer; closing and deleting, in theirs):
// PostgreSQL delivers notifications at commit, in commit order, to every
// session listening on the database, whichever process made the change. Each process holds one
// LISTEN connection of its own (outside the pool, whose connections come
// and go) and hands what it hears to its watchers. After every connection,
// the first included, it tells them that any poll may have changed:
// notifications sent while nobody listened are lost.
const (
	changesChannel = "pollstack_changes"
	// notifyChunk is the most poll IDs in one notification: 200 IDs of 16
	// characters and their commas are 3,400 bytes, far below NOTIFY's limit
	// of 8,000.
	notifyChunk = 200
	// listenerName is the LISTEN connection's application_name, as
	// pg_stat_activity shows it.
	listenerName = "pollstack changes"
	// listenerPing is how long the LISTEN connection may stay quiet before
	// it is checked with a round trip: after a failover a connection can be
	// half open and would otherwise wait for ever.
	listenerPing = 30 * time.Second
	// listenerBackoff bounds the wait between two connection attempts.
	listenerBackoff = 2 * time.Second
)

// listener is a process's LISTEN connection and the watchers it serves.
type listener struct {
	store         *Store
	log           *slog.Logger
	config        *pgx.ConnConfig                              // the pool's, copied
	beforeConnect func(context.Context, *pgx.ConnConfig) error // the pool's: credentials

	feed    changefeed.Feed
	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// Watch tells changed about the polls that any process sharing the
// database changes. The first watch opens the LISTEN connection.
func (s *Store) Watch(changed func(pollIDs []string)) (stop func()) {
	stop = s.listener.feed.Watch(changed)
	s.listener.start()
	return stop
}

func (l *listener) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started || l.closed {
		return
	}
	l.started = true
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go l.run(ctx)
}

// close stops listening and waits until the connection is closed.
func (l *listener) close() {
	l.mu.Lock()
	l.closed = true
	started := l.started
	l.mu.Unlock()
	if started {
		l.cancel()
		<-l.done
	}
}

// run keeps a LISTEN connection open until ctx ends, connecting again
// after every loss with a backoff of up to listenerBackoff. It logs the
// loss once and the recovery once, however many attempts lie between.
func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	backoff := 100 * time.Millisecond
	var lost time.Time // zero while connected
	for {
		conn, err := l.connect(ctx)
		if err == nil {
			if !lost.IsZero() {
				l.log.Info("change feed reconnected: refreshing every live poll", "down_seconds", time.Since(lost).Seconds())
				lost = time.Time{}
			}
			backoff = 100 * time.Millisecond
			l.feed.Publish(nil)
			err = l.receive(ctx, conn)
			conn.Close(context.Background())
		}
		if ctx.Err() != nil {
			return
		}
		if lost.IsZero() {
			lost = time.Now()
			l.log.Warn("change feed lost: live results wait for it to reconnect (or their slow refresh)", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenerBackoff)
	}
}

// connect opens a connection with the pool's settings and credentials and
// starts listening.
func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := l.config.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	if l.beforeConnect != nil {
		if err := l.beforeConnect(ctx, cfg); err != nil {
			return nil, err
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if authRejected(err) {
			l.store.refresh.Store(true) // the next attempt reads the credentials again
		}
		return nil, fmt.Errorf("postgres: change feed: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("postgres: change feed: listen: %w", err)
	}
	return conn, nil
}

// receive hands every notification to the watchers until the connection
// fails or ctx ends. An empty payload (`NOTIFY pollstack_changes` by hand)
// means any poll may have changed.
func (l *listener) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		wait, cancel := context.WithTimeout(ctx, listenerPing)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil && n.Payload == "":
			l.feed.Publish(nil)
		case err == nil:
			l.feed.Publish(strings.Split(n.Payload, ","))
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err):
			ping, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return fmt.Errorf("postgres: change feed: quiet connection does not answer: %w", err)
			}
		default:
			return fmt.Errorf("postgres: change feed: %w", err)
		}
	}
}
