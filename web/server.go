// Package web is pollstack's HTTP side: the JSON API under /api/v1, the
// pages, health and readiness, and the middleware every response passes.
package web

import (
	"context"
	"crypto/cipher"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/internal/metrics"
)

// Config is what the server needs; cmd/pollstack fills it from flags.
type Config struct {
	Store  pollstack.Store
	Logger *slog.Logger
	// TrustProxy trusts the load balancer in front (the ALB terminates TLS):
	// X-Forwarded-Proto for Secure cookies and HSTS, and the right-most
	// X-Forwarded-For entry as the client's address.
	TrustProxy bool
	// ServerKey keys the hashes of client addresses; every server behind
	// one load balancer needs the same. Empty: a key for this server alone.
	ServerKey []byte
	// PublicURL is the site's origin (https://polls.example.com), which
	// share and admin links are built on. Empty: the request's host, but
	// only when it is loopback; elsewhere links stay relative.
	PublicURL string
	// CreatesPerMinute and VotesPerSecond limit each client address (an
	// IPv6 /56): new polls (and voter code batches) a minute, with a burst of
	// as many, and as many downloads of voter code CSVs and ballot files in a
	// bucket of their own; votes a second, with a burst of as many. 0 turns a
	// limit off.
	CreatesPerMinute int
	VotesPerSecond   int
	// VoterCodesPerHour is each client address's budget of new voter codes
	// an hour, which may all be spent at once. 0 turns it off.
	VoterCodesPerHour int
	// RoomVotes is how many votes one address may send at once from
	// browsers that each carry their own voter cookie (a room on one
	// Wi-Fi), refilled over ten seconds; each browser stays within
	// VotesPerSecond. 0: every vote meets the address's VotesPerSecond.
	// See roomlimit.go.
	RoomVotes int
	// Streams and StreamsPerAddress bound the live-results streams this
	// server holds open, in all and for one client address; past them a
	// viewer gets 503 or 429 with Retry-After and the results page reloads
	// the counts now and then instead. 0 turns a bound off.
	Streams           int
	StreamsPerAddress int
	// ResultsFresh is how long a poll's counts are served from memory
	// before they are read again (votes on other servers show within it).
	ResultsFresh time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
	// Metrics records requests, votes and streams; nil records nothing.
	Metrics *metrics.Metrics
	// SlowRequest: a request that takes this long is always logged; 0: none is.
	SlowRequest time.Duration
	// Retention is how long a poll is kept after its end or last vote
	// (pollstack.Poll.DeletesAt), for the poll page to say; 0: forever.
	Retention time.Duration
	// LogSample is the fraction of ordinary requests (not failed, not slow)
	// that are logged: 0 none, 1 all.
	LogSample float64
}

// Server serves pollstack over HTTP.
type Server struct {
	cfg        Config
	store      pollstack.Store
	log        *slog.Logger
	now        func() time.Time
	views      *views
	lookups    *ballotLookups // what the store said lately of keys' ballots, see ballot.go
	streams    *hubs
	creates    *rateLimiter // nil: no limit
	votes      *rateLimiter
	codes      *rateLimiter // voter codes, charged by the code (see chargeVoterCodes)
	downloads  *rateLimiter // voter code CSVs and ballot files, each made again from the store or a seed; receipt checks
	voters     *rateLimiter // per voter cookie, see roomlimit.go
	room       *rateLimiter // per address, for votes with a voter cookie
	streamCaps *streamLimiter
	addressMAC sync.Pool   // HMAC-SHA256 keyed with cfg.ServerKey, see addressKey
	creator    cipher.AEAD // seals the creator cookie, see owner.go
	assets     *assets
	locales    *locales
	pageRoutes *http.ServeMux                           // the GET routes alone, for the language menu's way back (here)
	pages      map[string]map[string]*template.Template // by language, then page
	draining   atomic.Bool
	handler    http.Handler
}

// route is one entry of the routing table; the OpenAPI test reads the same table.
type route struct {
	method, pattern string
	handler         http.HandlerFunc
	voter           bool // the handler needs to know the voter
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ResultsFresh <= 0 {
		cfg.ResultsFresh = 250 * time.Millisecond
	}
	if len(cfg.ServerKey) == 0 {
		cfg.ServerKey = []byte(pollstack.RandomToken(32))
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now,
		creates:    newRateLimiter("new polls", float64(cfg.CreatesPerMinute)/60, cfg.CreatesPerMinute),
		votes:      newRateLimiter("votes", float64(cfg.VotesPerSecond), cfg.VotesPerSecond),
		codes:      newRateLimiter("voter codes", float64(cfg.VoterCodesPerHour)/3600, cfg.VoterCodesPerHour),
		downloads:  newRateLimiter("voter code downloads", float64(cfg.CreatesPerMinute)/60, cfg.CreatesPerMinute),
		voters:     newRateLimiter("votes", float64(cfg.VotesPerSecond), cfg.VotesPerSecond),
		room:       newRoomLimiter(cfg.RoomVotes),
		streamCaps: newStreamLimiter(cfg.Streams, cfg.StreamsPerAddress), creator: creatorSeal(cfg.ServerKey),
		lookups: newBallotLookups()}
	s.views = newViews(s.loadView, cfg.ResultsFresh, min(cfg.ResultsFresh, 100*time.Millisecond))
	s.streams = newHubs(s)
	s.streams.unwatch = cfg.Store.Watch(s.streams.changed)
	s.assets = loadAssets()
	s.locales = allLocales()
	s.pages = localizedPages(s.assets, s.locales)
	mux := http.NewServeMux()
	s.pageRoutes = http.NewServeMux()
	for _, rt := range s.routes() {
		if rt.method == http.MethodGet {
			s.pageRoutes.Handle(rt.method+" "+rt.pattern, http.NotFoundHandler())
		}
		var h http.Handler = rt.handler
		if rt.voter {
			h = s.identify(h)
		}
		if strings.Contains(rt.pattern, "{id}") {
			h = pollIDForm(h, s)
		}
		mux.Handle(rt.method+" "+rt.pattern, h)
	}
	s.registerFallbacks(mux)
	s.handler = s.observe(s.secure(s.bodies(s.crossOrigin(mux))))
	return s
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", s.healthz, false},
		{"GET", "/readyz", s.readyz, false},
		{"GET", "/api/v1/openapi.json", s.openAPI, false},
		{"POST", "/api/v1/polls", s.apiCreatePoll, true},
		{"GET", "/api/v1/polls/{id}", s.apiGetPoll, true},
		{"DELETE", "/api/v1/polls/{id}", s.apiDeletePoll, false},
		{"PATCH", "/api/v1/polls/{id}", s.apiEditPoll, false},
		{"POST", "/api/v1/polls/{id}/close", s.apiClosePoll, false},
		{"POST", "/api/v1/polls/{id}/decision", s.apiDecide, false},
		{"POST", "/api/v1/polls/{id}/votes", s.apiVote, true},
		{"GET", "/api/v1/polls/{id}/votes/mine", s.apiMyVote, true},
		{"PUT", "/api/v1/polls/{id}/votes/mine", s.apiChangeVote, true},
		{"POST", "/api/v1/polls/{id}/voter-codes", s.apiAddVoterCodes, false},
		{"GET", "/api/v1/polls/{id}/results", s.apiResults, true},
		{"GET", "/api/v1/polls/{id}/results.csv", s.apiResultsCSV, true},
		{"GET", "/api/v1/polls/{id}/ballots.csv", s.apiBallotsCSV, false},
		{"GET", "/api/v1/polls/{id}/answers", s.apiAnswers, false},
		{"POST", "/api/v1/polls/{id}/answers/{option}", s.apiReviewAnswer, false},
		{"POST", "/api/v1/polls/{id}/receipt", s.apiCheckReceipt, false},
		{"GET", "/{$}", s.home, false},
		{"POST", "/language", s.chooseLanguage, false},
		{"POST", "/{$}", s.createPollPage, false},
		{"GET", "/static/{file}", s.serveStatic, false},
		{"GET", "/p/{id}", s.pollPage, true},
		{"POST", "/p/{id}/vote", s.votePage, true},
		{"POST", "/p/{id}/change", s.changePage, true},
		{"GET", "/p/{id}/results", s.resultsPage, true},
		{"GET", "/p/{id}/events", s.limitStreams(s.events), true},
		{"GET", "/p/{id}/created", s.createdPage, false},
		{"GET", "/p/{id}/admin", s.adminPage, false},
		{"POST", "/p/{id}/admin", s.adminLogin, false},
		{"POST", "/p/{id}/codes", s.addCodesPage, false},
		{"GET", "/p/{id}/codes", s.codesPage, false},
		{"POST", "/p/{id}/codes.csv", s.codesCSVPage, false},
		{"POST", "/p/{id}/close", s.closePage, false},
		{"POST", "/p/{id}/edit", s.editPage, false},
		{"POST", "/p/{id}/delete", s.deletePage, false},
		{"POST", "/p/{id}/results.csv", s.resultsCSVPage, false},
		{"POST", "/p/{id}/ballots.csv", s.ballotsCSVPage, false},
		{"POST", "/p/{id}/answers", s.reviewAnswerPage, false},
		{"GET", "/p/{id}/check", s.checkPage, false},
		{"POST", "/p/{id}/check", s.checkPagePost, false},
		{"GET", "/p/{id}/present", s.presentPage, true},
		{"POST", "/p/{id}/present", s.presentReveal, false},
		{"GET", embedPattern, s.embedPage, true},
		{"POST", embedPattern, s.embedVote, true},
		{"GET", oembedPath, s.oembed, false},
		{"GET", "/my-polls", s.myPollsPage, false},
		{"GET", "/j", s.joinPage, false},
		{"GET", "/j/{code}", s.joinPage, false},
		{"GET", "/j/{code}/", s.joinPage, false},
		{"GET", "/p/{id}/event.ics", s.eventICS, false},
		{"POST", "/p/{id}/decide", s.decidePage, false},
		{"GET", "/meeting", s.meetingNewPage, false},
		{"POST", "/meeting", s.meetingCreatePage, false},
	}
}

// registerFallbacks answers unknown paths with a 404 and known paths with a
// wrong method with a 405 and an Allow header (JSON under /api/, a page
// elsewhere: writeError decides). A pattern without a method loses to one
// with a method, so these only catch leftovers.
func (s *Server) registerFallbacks(mux *http.ServeMux) {
	allowed := map[string][]string{}
	var order []string
	for _, rt := range s.routes() {
		if _, ok := allowed[rt.pattern]; !ok {
			order = append(order, rt.pattern)
		}
		allowed[rt.pattern] = append(allowed[rt.pattern], rt.method)
	}
	for _, pattern := range order {
		methods := allowed[pattern]
		if contains(methods, "GET") {
			methods = append(methods, "HEAD")
		}
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, errMethodNotAllowed)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errRouteNotFound)
	})
}

// pollIDForm answers 404 for an ID that cannot be a poll's, before any
// lookup, cache entry or cookie: a made-up address of any length costs the
// server nothing that outlives the request.
func pollIDForm(next http.Handler, s *Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !pollstack.ValidPollID(r.PathValue("id")) {
			s.writeError(w, r, pollstack.ErrPollNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Drain makes readiness fail so that the load balancer stops sending new
// requests; the server goes on serving those that still arrive.
func (s *Server) Drain() {
	s.draining.Store(true)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is what the load balancer's health check asks: ready unless
// draining or the store does not answer within a second.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "error", err.Error())
		w.Header().Set("Retry-After", "2")
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// loadView reads a poll and its counts from the store. When the cache
// already holds the poll, reading the counts is enough: they say whether the
// poll was closed, the one part of it that changes, so that refreshing a
// watched poll after each change costs one read.
func (s *Server) loadView(ctx context.Context, id string, held *view) (view, error) {
	if held != nil {
		r, err := s.store.Results(ctx, id)
		if err != nil {
			return view{}, err
		}
		// Edited, or an answer became an option: read the poll again.
		if r.Version != held.Poll.Version || len(r.Counts) != len(held.Poll.Options) {
			return s.loadView(ctx, id, nil)
		}
		p := held.Poll
		if !sameTime(p.ClosedAt, r.ClosedAt) || p.Decided != r.Decided {
			closed := *p
			closed.ClosedAt, closed.Decided = r.ClosedAt, r.Decided
			p = &closed
		}
		return s.withParticipants(ctx, newView(p, r))
	}
	p, err := s.store.Poll(ctx, id)
	if err != nil {
		return view{}, err
	}
	r, err := s.store.Results(ctx, id)
	if err != nil {
		return view{}, err
	}
	return s.withParticipants(ctx, newView(p, r))
}

func sameTime(a, b *time.Time) bool {
	return a == b || (a != nil && b != nil && a.Equal(*b))
}
