package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pollstack/pollstack/internal/testing/loadgen"
	"github.com/pollstack/pollstack/internal/testing/pgtest"
)

// benchPageViews measures what page views cost the database: o.readers
// browsers view one poll's page and their votes/mine for o.duration, on a
// fresh server, and the store's own transaction counter
// (pollstack_store_transactions_total) says how many transactions they
// caused, per 1,000 views. Three kinds of viewer: voters (who hold their
// ballot's marker), newcomers (a first visit, without a cookie) and
// returning non-voters (a cookie, no ballot).
func benchPageViews(t *table, o options, store, bin string, args []string) error {
	port, err := pgtest.FreePort()
	if err != nil {
		return err
	}
	metrics := fmt.Sprintf("127.0.0.1:%d", port)
	s, err := startServer(bin, append(append([]string(nil), args...), "--metrics-addr", metrics)...)
	if err != nil {
		return err
	}
	defer s.stop()
	poll, err := loadgen.CreatePoll(s.url)
	if err != nil {
		return err
	}
	for _, kind := range []string{"voters", "newcomers", "returning non-voters"} {
		cookies := make([]string, o.readers)
		for i := range cookies {
			if cookies[i], err = viewerCookie(s.url, poll, kind); err != nil {
				return err
			}
		}
		before, err := storeTransactions(metrics)
		if err != nil {
			return err
		}
		views, lat, errs := viewPages(s.url, poll, cookies, o.duration)
		after, err := storeTransactions(metrics)
		if err != nil {
			return err
		}
		t.add(row{store: store, scenario: "page views (poll page and votes/mine) by " + kind, rate: fmt.Sprintf("%.0f views/s", float64(views)/o.duration.Seconds()),
			p50: ms(loadgen.Percentile(lat, 50)), p99: ms(loadgen.Percentile(lat, 99)), max: ms(loadgen.Percentile(lat, 100)),
			errors: fmt.Sprint(errs), rss: fmt.Sprintf("%.1f MB", s.peakRSS()),
			check: fmt.Sprintf("%.1f database transactions per 1,000 views (%.0f in %d views; the store's own counter)",
				(after-before)/float64(views)*1000, after-before, views)})
	}
	return nil
}

// viewerCookie is the Cookie header of one viewer of the poll: a voter's
// voter and ballot cookies (from a vote through the form), a returning
// non-voter's voter cookie, or none for a newcomer.
func viewerCookie(base, poll, kind string) (string, error) {
	if kind == "newcomers" {
		return "", nil
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/p/" + poll)
	if err != nil {
		return "", err
	}
	res.Body.Close()
	if kind == "voters" {
		if res, err = c.PostForm(base+"/p/"+poll+"/vote", url.Values{"option": {"1"}}); err != nil {
			return "", err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			return "", fmt.Errorf("vote: status %d", res.StatusCode)
		}
	}
	page, _ := url.Parse(base + "/p/" + poll)
	var parts []string
	for _, ck := range jar.Cookies(page) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// viewPages has each cookie view the poll page and votes/mine in turn for d.
func viewPages(base, poll string, cookies []string, d time.Duration) (views int, lat []time.Duration, errors int) {
	lat, errors = readFor(base, cookies, d, func(i int, cookie string) (string, int) {
		switch {
		case i%2 == 0:
			return "/p/" + poll, http.StatusOK
		case strings.Contains(cookie, "pollstack_ballot="):
			return "/api/v1/polls/" + poll + "/votes/mine", http.StatusOK
		}
		return "/api/v1/polls/" + poll + "/votes/mine", http.StatusNotFound // no ballot: no_ballot
	})
	return len(lat), lat, errors
}

// storeTransactions reads the server's pollstack_store_transactions_total.
func storeTransactions(metricsAddr string) (float64, error) {
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "pollstack_store_transactions_total "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("the server's metrics carry no pollstack_store_transactions_total")
}

// benchViewsOnly is -views: the page views alone, on each store asked for.
func benchViewsOnly(ctx context.Context, t *table, o options, bins binaries, pg *pgtest.Server, dir string) error {
	name := fmt.Sprintf("bench_views_%d", time.Now().UnixNano())
	if err := pg.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return err
	}
	urls := map[string]string{"postgres": pg.URL(name, pg.User, ""), "sqlite": "sqlite:" + dir + "/views.db"}
	for _, store := range []string{"postgres", "sqlite"} {
		if !strings.Contains(o.stores, store) {
			continue
		}
		if err := benchPageViews(t, o, store, bins.current, append([]string{"--database-url", urls[store]}, noClientLimits...)); err != nil {
			return fmt.Errorf("%s page views: %w", store, err)
		}
	}
	return nil
}
