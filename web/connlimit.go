package web

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Connections cost memory before any request arrives (buffers, a goroutine:
// about 20 KB an idle keep-alive socket, so 20,000 held 420 MB of a task)
// and a file descriptor each. LimitConnections caps them for the whole
// server and for one client address, at the listener: a connection past a
// cap is answered at once with a plain HTTP refusal (503 when the server is
// full, 429 when its address holds too many), with Retry-After, and closed.
// Connections under the caps are handed to the HTTP server as they are.

// Limits of LimitConnections: 0 turns one off.
type ConnLimits struct {
	Total     int // open connections on this server
	PerClient int // open connections from one client address (an IPv6 /56)
}

type connLimiter struct {
	net.Listener
	limits   ConnLimits
	refusing chan struct{} // bounds the refusals being written at once

	mu      sync.Mutex
	open    int
	clients map[netip.Prefix]int // only clients with a connection open: at most Total entries
}

// refusalsAtOnce bounds the goroutines that write refusals; past it a
// connection is closed without a word.
const refusalsAtOnce = 64

// LimitConnections wraps ln with the caps in limits (ln itself if both are 0).
func LimitConnections(ln net.Listener, limits ConnLimits) net.Listener {
	if limits.Total <= 0 && limits.PerClient <= 0 {
		return ln
	}
	return &connLimiter{Listener: ln, limits: limits, refusing: make(chan struct{}, refusalsAtOnce), clients: map[netip.Prefix]int{}}
}

// Accept returns the next connection under the caps, refusing the others.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client := peerPrefix(c)
		if refusal := l.admit(client); refusal != nil {
			l.refuse(c, refusal)
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(client) }}, nil
	}
}

func (l *connLimiter) admit(client netip.Prefix) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.limits.Total > 0 && l.open >= l.limits.Total:
		return refuseServerFull
	case l.limits.PerClient > 0 && l.clients[client] >= l.limits.PerClient:
		return refuseClientFull
	}
	l.open++
	if l.limits.PerClient > 0 {
		l.clients[client]++
	}
	return nil
}

func (l *connLimiter) release(client netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.limits.PerClient > 0 {
		if l.clients[client]--; l.clients[client] <= 0 {
			delete(l.clients, client)
		}
	}
}

// refuse writes the refusal and closes c. It waits for the client's request
// first (a second at most): an answer that arrives before the client has
// sent anything reaches a connection the client still takes for idle, and
// Go's client, for one, drops it as unsolicited. It reads what the client
// sent meanwhile (for at most a second) before closing: closing with unread
// data makes the kernel reset the connection, and the client might lose
// the answer.
func (l *connLimiter) refuse(c net.Conn, refusal []byte) {
	select {
	case l.refusing <- struct{}{}:
	default:
		c.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		var first [4096]byte
		c.Read(first[:]) // the request's start, or nothing within the second: answer either way
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write(refusal); err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// peerPrefix is the connection's client as the limits count it.
func peerPrefix(c net.Conn) netip.Prefix {
	var addr netip.Addr
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		addr = tcp.AddrPort().Addr().Unmap()
	}
	if !addr.IsValid() {
		addr = netip.IPv6Unspecified() // not TCP: one bucket for all
	}
	return clientPrefix(addr)
}

// limitedConn gives its place back when closed, once.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// CloseWrite lets the HTTP server half-close after an error answer, as it
// does on a bare TCP connection, so that the client reads the answer
// rather than a reset.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// The refusals, written before any request is read: the JSON error body of
// every other refusal, for clients that read it.
var (
	refuseServerFull = refusal(503, "Service Unavailable", 5, "server_busy", "This server holds as many connections as it can. Try again in a few seconds.")
	refuseClientFull = refusal(429, "Too Many Requests", 10, "too_many_connections", "Your address holds too many open connections to this server. Close some and try again.")
)

func refusal(status int, reason string, retryAfter int, code, message string) []byte {
	body := fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`+"\n", code, message)
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: %d\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, reason, retryAfter, len(body), body)
}
