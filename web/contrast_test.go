package web_test

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The dark theme is as readable as the light one: every pair of colours
// that the stylesheet puts together reaches, in dark, the WCAG contrast
// level it reaches in light (AAA 7:1, AA 4.5:1, or 3:1 for large text and
// controls), and never less than the floor its use needs. axe-core checks
// the rendered pages in both themes (e2e/browser); this test measures the
// palette itself, so a colour change fails here first, with figures.
func TestDarkThemeContrast(t *testing.T) {
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	light, dark := themeColours(t, string(css))
	for _, pair := range []struct {
		fg, bg string
		floor  float64 // what the use needs: 4.5 for text, 3 for controls and bars
	}{
		{"ink", "paper", 4.5}, {"ink", "wash", 4.5}, {"muted", "paper", 4.5}, {"muted", "wash", 4.5},
		{"accent", "paper", 4.5}, {"accent", "wash", 4.5}, {"accent-ink", "accent", 4.5},
		{"danger", "paper", 4.5}, {"ok", "paper", 4.5}, {"header-ink", "header", 4.5},
		{"ink", "notice", 4.5}, {"accent", "notice", 4.5}, {"ink", "warning", 4.5},
		{"field-line", "paper", 3}, {"accent", "track", 3}, {"warning-line", "warning", 3},
	} {
		l, d := contrast(t, light, pair.fg, pair.bg), contrast(t, dark, pair.fg, pair.bg)
		t.Logf("%-12s on %-8s light %5.2f:1  dark %5.2f:1", pair.fg, pair.bg, l, d)
		if l < pair.floor || d < pair.floor {
			t.Errorf("%s on %s: light %.2f, dark %.2f; both need at least %.1f", pair.fg, pair.bg, l, d, pair.floor)
		}
		for _, level := range []float64{7, 4.5, 3} {
			if l >= level {
				if d < level {
					t.Errorf("%s on %s: light reaches %.1f:1 (%.2f) but dark only %.2f", pair.fg, pair.bg, level, l, d)
				}
				break
			}
		}
	}
}

var colourVar = regexp.MustCompile(`--([a-z-]+):\s*#([0-9a-fA-F]{6})`)

// themeColours reads the custom properties of the first :root block (light)
// and of the :root block inside the prefers-color-scheme: dark query.
func themeColours(t *testing.T, css string) (light, dark map[string]string) {
	t.Helper()
	block := func(from string) map[string]string {
		start := strings.Index(from, ":root {")
		if start < 0 {
			t.Fatal("no :root block")
		}
		end := strings.Index(from[start:], "}")
		vars := map[string]string{}
		for _, m := range colourVar.FindAllStringSubmatch(from[start:start+end], -1) {
			vars[m[1]] = m[2]
		}
		return vars
	}
	light = block(css)
	i := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		t.Fatal("no dark theme: @media (prefers-color-scheme: dark) is missing")
	}
	dark = block(css[i:])
	for name := range light {
		if _, ok := dark[name]; !ok {
			t.Errorf("--%s has no dark value", name)
		}
	}
	return light, dark
}

func contrast(t *testing.T, theme map[string]string, fg, bg string) float64 {
	t.Helper()
	a, b := luminance(t, theme[fg]), luminance(t, theme[bg])
	return (math.Max(a, b) + 0.05) / (math.Min(a, b) + 0.05)
}

// luminance is WCAG 2's relative luminance of an sRGB colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	if len(hex) != 6 {
		t.Fatalf("colour %q is not #rrggbb", hex)
	}
	var sum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		sum += weight * c
	}
	return sum
}
