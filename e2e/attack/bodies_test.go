//go:build integration

package attack

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pollstack/pollstack/internal/testing/figures"
	"github.com/pollstack/pollstack/internal/testing/proc"
	"github.com/pollstack/pollstack/internal/testing/servertest"
)

// Attack (issue 25, finding 1): 4 GETs and 4 HEADs of a poll page at once,
// each with a 40 MB multipart body. On the code before the fix the poll
// page read its voter code with FormValue, which parsed the body on a GET
// (32 MB in memory, the rest in temp files that nothing removed): peak RSS
// 39 -> 598 MB, and 100 MB left in the temp directory per 100 MB sent. Now
// a body on a GET or HEAD, and a multipart body anywhere, is refused
// unread: the peak grows by a few MB and the temp directory stays empty.
func TestBodiesOnGETsAreNeverParsed(t *testing.T) {
	for name, store := range stores(t) {
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			s := servertest.StartEnv(t, []string{"TMPDIR=" + tmp}, store...)
			id := createPoll(t, s.URL(), `{"question": "Lunch?", "options": ["Soup", "Salad"]}`)["id"].(string)
			for range 20 { // warm up: the page's template, buffers, the heap's first growth
				send(t, "GET", s.URL()+"/p/"+id, "", "")
			}
			before := peakRSS(t, s)
			const size = 40 << 20
			var mu sync.Mutex
			outcomes := map[string]int{}
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					method := []string{"GET", "HEAD"}[i%2]
					outcome := multipartRequest(s.URL()+"/p/"+id, method, size)
					mu.Lock()
					outcomes[method+" "+outcome]++
					mu.Unlock()
				}()
			}
			wg.Wait()
			after := peakRSS(t, s)
			left := filesIn(t, tmp)
			growth := float64(after-before) / (1 << 20)
			figures.Print(t, "4 GETs and 4 HEADs of a poll page at once with a %d MB multipart body: %v; peak RSS %.1f MB before, %.1f MB after: grew %.1f MB; %d files left in the temp directory",
				size>>20, outcomes, float64(before)/(1<<20), float64(after)/(1<<20), growth, len(left))
			if growth >= 24 {
				t.Errorf("the server's peak RSS grew by %.1f MB, want less than 24 MB: a body was read", growth)
			}
			if len(left) > 0 {
				t.Errorf("files left in the server's temp directory: %v", left)
			}
			if outcomes["GET 200"]+outcomes["HEAD 200"] > 0 {
				t.Errorf("outcomes %v: a poll page was served with a multipart body, want 415 (or the connection closed unread)", outcomes)
			}
			if a := send(t, "GET", s.URL()+"/p/"+id, "", ""); a.status != http.StatusOK {
				t.Errorf("after the attack, the poll page answers %d", a.status)
			}
		})
	}
}

// multipartRequest sends a multipart body of about size bytes, one file
// part, and says what came back: the status, or that the connection ended.
func multipartRequest(url, method string, size int64) string {
	head := "--b\r\nContent-Disposition: form-data; name=\"code\"; filename=\"code.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--b--\r\n"
	body := io.MultiReader(strings.NewReader(head), io.LimitReader(repeatByte('x'), size), strings.NewReader(tail))
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return err.Error()
	}
	req.ContentLength = int64(len(head)) + size + int64(len(tail))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "connection ended"
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return fmt.Sprint(res.StatusCode)
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// peakRSS is the server's peak resident memory so far (VmHWM).
func peakRSS(t *testing.T, s *servertest.Process) int64 {
	t.Helper()
	hwm, err := proc.Memory(s.Cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatalf("read the server's peak memory: %v", err)
	}
	return hwm
}

// filesIn lists the names in dir (where Go puts multipart temp files).
func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
