package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Conn is one keep-alive HTTP/1.1 connection that sends a request and reads
// its response, nothing more. It costs far less CPU than http.Client, which
// matters when the load generator shares two cores with the server and the
// database it measures.
type Conn struct {
	addr    string
	host    string
	timeout time.Duration
	c       net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
}

// Dial prepares a connection to base (http://host:port); it connects on first use.
func Dial(base string, timeout time.Duration) (*Conn, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("loadgen: want an http:// base URL, got %q", base)
	}
	return &Conn{addr: u.Host, host: u.Host, timeout: timeout}, nil
}

// Do sends one request, with extra header lines (name, value, ...), and
// returns the status and body. On any error the
// connection is dropped; the next call connects again.
func (c *Conn) Do(method, path, cookie, contentType, body string, header ...string) (int, []byte, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, c.timeout)
		if err != nil {
			return 0, nil, err
		}
		c.c, c.r, c.w = nc, bufio.NewReader(nc), bufio.NewWriter(nc)
	}
	c.c.SetDeadline(time.Now().Add(c.timeout))
	fmt.Fprintf(c.w, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, c.host)
	if cookie != "" {
		fmt.Fprintf(c.w, "Cookie: %s\r\n", cookie)
	}
	for i := 0; i+1 < len(header); i += 2 {
		fmt.Fprintf(c.w, "%s: %s\r\n", header[i], header[i+1])
	}
	if body != "" || method == "POST" {
		fmt.Fprintf(c.w, "Content-Type: %s\r\nContent-Length: %d\r\n", contentType, len(body))
	}
	c.w.WriteString("\r\n")
	c.w.WriteString(body)
	if err := c.w.Flush(); err != nil {
		c.Close()
		return 0, nil, err
	}
	res, err := http.ReadResponse(c.r, nil)
	if err != nil {
		c.Close()
		return 0, nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || strings.EqualFold(res.Header.Get("Connection"), "close") {
		c.Close()
	}
	return res.StatusCode, b, err
}

// Close drops the connection.
func (c *Conn) Close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}
