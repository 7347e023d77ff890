package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pollstack/pollstack"
	"github.com/pollstack/pollstack/sqlite"
)

// Attack: a poll's creator (anyone: making a poll is free) asks for the
// ballot file on more connections than the store has read connections, and
// never reads the answers. The store streams the file from an open query,
// so on the code before the fix every stalled download held its read
// connection for as long as the client liked, and the server answered no
// other poll at all. Now a write that makes no progress for ballotFileStall
// ends the download and gives the connection back.
func TestStalledBallotFilesFreeTheStore(t *testing.T) {
	defer func(d time.Duration) { ballotFileStall = d }(ballotFileStall)
	ballotFileStall = time.Second
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "web.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewUnstartedServer(New(Config{Store: store}))
	srv.Listener = smallBuffersListener(t, syscall.SO_SNDBUF) // accepted sockets inherit it: a few KB in flight, not megabytes
	srv.Start()
	defer srv.Close()

	id, token := createNonePoll(t, srv.URL)
	var wg sync.WaitGroup
	for range 4000 / 50 { // enough rows to fill every buffer between the server and a client that reads nothing
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := store.Vote(ctx, pollstack.Ballot{PollID: id, OptionIDs: []int{1}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()

	const stalled = 12 // more than the store's read connections
	for i := range stalled {
		c, err := stalledDownload(srv.Listener.Addr().String(), id, token)
		if err != nil {
			t.Errorf("download %d of %d: %v", i+1, stalled, err)
			continue
		}
		defer c.Close()
	}
	other, _ := createNonePoll(t, srv.URL) // a poll that no view has loaded yet: its page needs the store
	client := &http.Client{Timeout: 10 * ballotFileStall}
	res, err := client.Get(srv.URL + "/api/v1/polls/" + other)
	if err != nil {
		t.Fatalf("with %d ballot files stalled, another poll does not answer: %v", stalled, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Errorf("another poll: %d, want 200: %s", res.StatusCode, b)
	}
}

func createNonePoll(t *testing.T, base string) (id, token string) {
	t.Helper()
	res, err := http.Post(base+"/api/v1/polls", "application/json", strings.NewReader(`{"question": "Q", "options": ["A", "B"], "duplicate_check": "none"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var poll struct{ ID, AdminToken string }
	if err := json.NewDecoder(res.Body).Decode(&struct {
		ID         *string `json:"id"`
		AdminToken *string `json:"admin_token"`
	}{&poll.ID, &poll.AdminToken}); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create poll: %d %v", res.StatusCode, err)
	}
	return poll.ID, poll.AdminToken
}

// stalledDownload asks for the ballot file on a connection with a small
// receive buffer, and reads no more than the answer's first bytes: the
// file is being streamed, its query open. An error says it did not start.
func stalledDownload(addr, id, token string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, raw syscall.RawConn) error { return setBuffer(raw, syscall.SO_RCVBUF) }}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET /api/v1/polls/%s/ballots.csv HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", id, addr, token)
	start := make([]byte, 12)
	c.SetReadDeadline(time.Now().Add(5 * ballotFileStall))
	if _, err := io.ReadFull(c, start); err != nil || string(start) != "HTTP/1.1 200" {
		c.Close()
		return nil, fmt.Errorf("no answer within %v (%q, %v): the store's connections are all held", 5*ballotFileStall, start, err)
	}
	return c, nil
}

func smallBuffersListener(t *testing.T, option int) net.Listener {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, raw syscall.RawConn) error { return setBuffer(raw, option) }}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func setBuffer(raw syscall.RawConn, option int) error {
	var err error
	if cerr := raw.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, option, 4096) }); cerr != nil {
		return cerr
	}
	return err
}
