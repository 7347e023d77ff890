package checks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/pollstack/pollstack/internal/platform"
	"github.com/pollstack/pollstack/internal/testing/repo"
)

// A tree is what the rules read: the workflows and local actions under
// .github, the pipeline's scripts, and the Terraform environments.
type tree struct {
	root      string
	workflows []*yamlFile       // .github/workflows/*.yml
	actions   []*yamlFile       // .github/actions/*/action.yml
	scripts   map[string]string // .github/scripts/*.sh and scripts/*.sh
}

type yamlFile struct {
	path string // relative to the repo root
	doc  *yaml.Node
}

func loadRepo(t *testing.T, root string) *tree {
	t.Helper()
	r := &tree{root: root, scripts: map[string]string{}}
	load := func(pattern string) []*yamlFile {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		var out []*yamlFile
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
				t.Fatalf("%s: not a YAML mapping", f)
			}
			rel, _ := filepath.Rel(root, f)
			out = append(out, &yamlFile{path: filepath.ToSlash(rel), doc: doc.Content[0]})
		}
		return out
	}
	r.workflows = append(load(".github/workflows/*.yml"), load(".github/workflows/*.yaml")...)
	r.actions = append(load(".github/actions/*/action.yml"), load(".github/actions/*/action.yaml")...)
	if len(r.workflows) == 0 {
		t.Fatalf("no workflows under %s/.github/workflows", root)
	}
	scripts, _ := filepath.Glob(filepath.Join(root, ".github", "scripts", "*.sh"))
	repoScripts, _ := filepath.Glob(filepath.Join(root, "scripts", "*.sh"))
	for _, f := range append(scripts, repoScripts...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, f)
		r.scripts[filepath.ToSlash(rel)] = string(data)
	}
	return r
}

// get returns the value of key in a mapping node, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// pairs calls fn for every key/value of a mapping node, in order.
func pairs(m *yaml.Node, fn func(k string, v *yaml.Node)) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		fn(m.Content[i].Value, m.Content[i+1])
	}
}

// walk calls fn for every key/value pair anywhere below n.
func walk(n *yaml.Node, fn func(k, v *yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			fn(n.Content[i], n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		walk(c, fn)
	}
}

// scalars calls fn for every scalar anywhere below n (keys and values).
func scalars(n *yaml.Node, fn func(s *yaml.Node)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		fn(n)
	}
	for _, c := range n.Content {
		scalars(c, fn)
	}
}

func at(f *yamlFile, n *yaml.Node) string { return fmt.Sprintf("%s:%d", f.path, n.Line) }

// steps returns the steps of a job (or of a composite action's runs).
func steps(job *yaml.Node) []*yaml.Node {
	s := get(job, "steps")
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	return s.Content
}

func jobs(wf *yamlFile, fn func(id string, job *yaml.Node)) { pairs(get(wf.doc, "jobs"), fn) }

// A rule returns its violations, each starting with file:line.
type rule struct {
	name  string
	check func(r *tree) []string
}

var rules = []rule{
	{"pinned-uses", pinnedUses},
	{"top-permissions", topPermissions},
	{"id-token", idTokenOnlyForAWS},
	{"concurrency", concurrencyPerEnvironment},
	{"no-long-lived-credentials", noLongLivedCredentials},
	{"checkout-credentials", checkoutWithoutCredentials},
	{"platform", platformMatchesTerraform},
	{"all-secrets", noAllSecrets},
	{"triggers", noPrivilegedTriggers},
	{"pinned-images", pinnedImages},
	{"pinned-docker-run", pinnedDockerRun},
	{"display-name-gates", noDisplayNameGates},
	{"attested-inputs", attestedInputsChecked},
	{"pinned-installs", pinnedInstalls},
}

var (
	shaRef         = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versionComment = regexp.MustCompile(`^#\s*v?\d+(\.\d+)*\S*`)
	dockerDigest   = regexp.MustCompile(`^docker://[^@\s]+@sha256:[0-9a-f]{64}$`)
)

// Every `uses:` (steps, reusable workflows, composite actions) names a full
// 40-hex commit with the version in a comment; local actions and workflows
// (./...) are part of this commit, and docker:// images need a digest.
func pinnedUses(r *tree) []string {
	var out []string
	for _, f := range slices.Concat(r.workflows, r.actions) {
		walk(f.doc, func(k, v *yaml.Node) {
			if k.Value != "uses" || v.Kind != yaml.ScalarNode {
				return
			}
			switch u := v.Value; {
			case strings.HasPrefix(u, "./"):
			case strings.HasPrefix(u, "docker://"):
				if !dockerDigest.MatchString(u) {
					out = append(out, fmt.Sprintf("%s: %s is not pinned by sha256 digest", at(f, v), u))
				}
			case !shaRef.MatchString(u):
				out = append(out, fmt.Sprintf("%s: %s is not pinned to a full 40-hex commit SHA", at(f, v), u))
			case !versionComment.MatchString(v.LineComment):
				out = append(out, fmt.Sprintf("%s: %s has no version comment (# vX.Y.Z)", at(f, v), u))
			}
		})
	}
	return out
}

// permissionsOf returns the scopes a permissions node grants: a map of scope
// to level, with "*" for read-all / write-all.
func permissionsOf(p *yaml.Node) map[string]string {
	perms := map[string]string{}
	switch {
	case p == nil:
	case p.Kind == yaml.ScalarNode:
		switch p.Value {
		case "read-all":
			perms["*"] = "read"
		case "write-all":
			perms["*"] = "write"
		default:
			perms["*"] = p.Value
		}
	case p.Kind == yaml.MappingNode:
		pairs(p, func(k string, v *yaml.Node) { perms[k] = v.Value })
	}
	return perms
}

// The workflow's own permissions are `{}` or read-only; jobs widen them.
func topPermissions(r *tree) []string {
	var out []string
	for _, f := range r.workflows {
		p := get(f.doc, "permissions")
		if p == nil {
			out = append(out, fmt.Sprintf("%s: no top-level permissions (the token would get the repository default); write `permissions: {}`", f.path))
			continue
		}
		for scope, level := range permissionsOf(p) {
			if level != "read" && level != "none" {
				out = append(out, fmt.Sprintf("%s: top-level permissions grant %s: %s; grant write per job", at(f, p), scope, level))
			}
		}
	}
	return out
}

const (
	awsCredentialsAction = "aws-actions/configure-aws-credentials@"
	// Keyless signing: the job's OIDC token buys a Fulcio certificate.
	attestAction = "actions/attest@"
)

var imageBuild = regexp.MustCompile(`make\s+image|scripts/image\.sh|go run \./cmd/image build`)

func usesAction(job *yaml.Node, prefix string) []*yaml.Node {
	var found []*yaml.Node
	for _, s := range steps(job) {
		if u := get(s, "uses"); u != nil && strings.HasPrefix(u.Value, prefix) {
			found = append(found, s)
		}
	}
	return found
}

// needsIDToken says whether a job has a use for the OIDC token: it assumes
// an AWS role, signs with actions/attest, or calls a local reusable
// workflow one of whose jobs does.
func (r *tree) needsIDToken(job *yaml.Node) bool { return r.needsIDTokenFrom(job, map[string]bool{}) }

// needsIDTokenFrom follows each called workflow once (seen).
func (r *tree) needsIDTokenFrom(job *yaml.Node, seen map[string]bool) bool {
	if len(usesAction(job, awsCredentialsAction)) > 0 || len(usesAction(job, attestAction)) > 0 {
		return true
	}
	u := get(job, "uses")
	if u == nil || !strings.HasPrefix(u.Value, "./.github/workflows/") || seen[u.Value] {
		return false
	}
	seen[u.Value] = true
	needs := false
	for _, f := range r.workflows {
		if "./"+f.path != u.Value {
			continue
		}
		jobs(f, func(_ string, called *yaml.Node) {
			p := permissionsOf(get(called, "permissions"))
			if (p["id-token"] == "write" || p["*"] == "write") && r.needsIDTokenFrom(called, seen) {
				needs = true
			}
		})
	}
	return needs
}

// id-token: write only in jobs that assume an AWS role (by OIDC for the
// sts.amazonaws.com audience) or sign with actions/attest, and in the calls
// of workflows that have such jobs. Neither kind of job builds the image:
// the credential-less build hands it over as an artifact.
func idTokenOnlyForAWS(r *tree) []string {
	var out []string
	for _, f := range r.workflows {
		top := get(f.doc, "permissions")
		if lvl := permissionsOf(top)["id-token"]; lvl == "write" || permissionsOf(top)["*"] == "write" {
			out = append(out, fmt.Sprintf("%s: id-token: write at the top level; grant it only to the job that assumes the AWS role", at(f, top)))
		}
		jobs(f, func(id string, job *yaml.Node) {
			p := get(job, "permissions")
			perms := permissionsOf(p)
			aws := usesAction(job, awsCredentialsAction)
			if perms["id-token"] == "write" || perms["*"] == "write" {
				if !r.needsIDToken(job) {
					out = append(out, fmt.Sprintf("%s: job %s has id-token: write but assumes no AWS role (%s) and signs nothing (%s)", at(f, p), id, strings.TrimSuffix(awsCredentialsAction, "@"), strings.TrimSuffix(attestAction, "@")))
				}
			}
			if len(aws) > 0 || len(usesAction(job, attestAction)) > 0 {
				for _, s := range steps(job) {
					if run := get(s, "run"); run != nil && imageBuild.MatchString(r.runText(run.Value)) {
						out = append(out, fmt.Sprintf("%s: job %s builds the image while holding AWS or signing credentials; build in a credential-less job", at(f, run), id))
					}
				}
			}
			for _, s := range aws {
				with := get(s, "with")
				if a := get(with, "audience"); a == nil || a.Value != "sts.amazonaws.com" {
					out = append(out, fmt.Sprintf("%s: job %s: configure-aws-credentials without audience: sts.amazonaws.com", at(f, s), id))
				}
				if get(with, "role-to-assume") == nil {
					out = append(out, fmt.Sprintf("%s: job %s: configure-aws-credentials without role-to-assume (OIDC)", at(f, s), id))
				}
			}
		})
	}
	return out
}

func environmentName(env *yaml.Node) string {
	if env == nil {
		return ""
	}
	if env.Kind == yaml.MappingNode {
		if n := get(env, "name"); n != nil {
			return n.Value
		}
		return ""
	}
	return env.Value
}

// Every workflow has a concurrency group, and every job that deploys to an
// environment has its own group named after it. A workflow that deploys or
// applies never cancels a run in progress.
func concurrencyPerEnvironment(r *tree) []string {
	var out []string
	for _, f := range r.workflows {
		top := get(f.doc, "concurrency")
		if top == nil || (top.Kind == yaml.MappingNode && get(top, "group") == nil) {
			out = append(out, fmt.Sprintf("%s: no top-level concurrency group", f.path))
		}
		deploys := false
		groups := []*yaml.Node{top}
		jobs(f, func(id string, job *yaml.Node) {
			c := get(job, "concurrency")
			groups = append(groups, c)
			for _, s := range steps(job) {
				if run := get(s, "run"); run != nil && regexp.MustCompile(`terraform(\s+-chdir=\S+)?\s+apply|terraform-apply`).MatchString(run.Value) {
					deploys = true
				}
			}
			env := environmentName(get(job, "environment"))
			if env == "" {
				return
			}
			deploys = true
			group := ""
			if c != nil && c.Kind == yaml.ScalarNode {
				group = c.Value
			} else if g := get(c, "group"); g != nil {
				group = g.Value
			}
			if !strings.Contains(group, env) {
				out = append(out, fmt.Sprintf("%s: job %s deploys to environment %q without a concurrency group for it (group %q)", at(f, job), id, env, group))
			}
		})
		if !deploys {
			continue
		}
		for _, c := range groups {
			if cancel := get(c, "cancel-in-progress"); cancel != nil && cancel.Value != "false" {
				out = append(out, fmt.Sprintf("%s: cancel-in-progress: %s in a workflow that deploys; an apply must never be cancelled", at(f, cancel), cancel.Value))
			}
		}
	}
	return out
}

var (
	credentialName = regexp.MustCompile(`(?i)aws[-_]?(access[-_]?key([-_]?id)?|secret[-_]?(access[-_]?)?key|session[-_]?token)`)
	secretRef      = regexp.MustCompile(`secrets\s*\.\s*([A-Za-z0-9_]+)|secrets\s*\[\s*['"]([^'"]+)`)
)

// No long-lived cloud credential anywhere: no access key inputs or
// variables, and no repository secret at all (AWS access is by OIDC; the
// only token is the job's own GITHUB_TOKEN).
func noLongLivedCredentials(r *tree) []string {
	var out []string
	for _, f := range slices.Concat(r.workflows, r.actions) {
		scalars(f.doc, func(s *yaml.Node) {
			if m := credentialName.FindString(s.Value); m != "" {
				out = append(out, fmt.Sprintf("%s: long-lived AWS credential %q referenced; assume a role by OIDC instead", at(f, s), m))
			}
			for _, m := range secretRef.FindAllStringSubmatch(s.Value, -1) {
				if name := m[1] + m[2]; name != "GITHUB_TOKEN" {
					out = append(out, fmt.Sprintf("%s: secret %s referenced; the pipeline uses no stored credentials", at(f, s), name))
				}
			}
		})
	}
	for path, text := range r.scripts {
		for i, line := range strings.Split(text, "\n") {
			if m := credentialName.FindString(line); m != "" {
				out = append(out, fmt.Sprintf("%s:%d: long-lived AWS credential %q referenced", path, i+1, m))
			}
		}
	}
	sort.Strings(out)
	return out
}

// actions/checkout leaves the job's token in .git/config unless told not
// to; every later step (and anything it runs) could read it.
func checkoutWithoutCredentials(r *tree) []string {
	var out []string
	for _, f := range slices.Concat(r.workflows, r.actions) {
		walk(f.doc, func(k, v *yaml.Node) {
			if k.Value != "steps" || v.Kind != yaml.SequenceNode {
				return
			}
			for _, s := range v.Content {
				u := get(s, "uses")
				if u == nil || !strings.HasPrefix(u.Value, "actions/checkout@") {
					continue
				}
				if p := get(get(s, "with"), "persist-credentials"); p == nil || p.Value != "false" {
					out = append(out, fmt.Sprintf("%s: actions/checkout without persist-credentials: false", at(f, u)))
				}
			}
		})
	}
	return out
}

var platformFlag = regexp.MustCompile(`--platform[= ]+["']?([A-Za-z0-9/_.-]+)`)

// The platform the workflows build for is the one cpu_architecture in
// infra/platform.json gives the ECS tasks.
func platformMatchesTerraform(r *tree) []string {
	choices, err := platform.Load(filepath.Join(r.root, platform.File))
	if err != nil {
		return []string{err.Error()}
	}
	want := choices.OCIPlatform()
	var out []string
	seen := 0
	check := func(where, got string) {
		seen++
		if got != want {
			out = append(out, fmt.Sprintf("%s: builds for %s, but cpu_architecture in infra/platform.json gives %s", where, got, want))
		}
	}
	for _, f := range slices.Concat(r.workflows, r.actions) {
		walk(f.doc, func(k, v *yaml.Node) {
			if k.Value == "PLATFORM" && v.Kind == yaml.ScalarNode {
				check(at(f, v), v.Value)
			}
			if v.Kind == yaml.ScalarNode {
				for _, m := range platformFlag.FindAllStringSubmatch(v.Value, -1) {
					check(at(f, v), m[1])
				}
			}
		})
	}
	if seen == 0 {
		out = append(out, "no workflow states the build platform (env PLATFORM or --platform)")
	}
	return out
}

var allSecrets = regexp.MustCompile(`(?i)to(json|JSON)\(\s*secrets\s*\)`)

// No job hands every secret to something: not as toJSON(secrets) in an
// expression, not as `secrets: inherit` to a reusable workflow.
func noAllSecrets(r *tree) []string {
	var out []string
	for _, f := range slices.Concat(r.workflows, r.actions) {
		scalars(f.doc, func(s *yaml.Node) {
			if allSecrets.MatchString(s.Value) {
				out = append(out, fmt.Sprintf("%s: toJSON(secrets) hands every secret of the repository to this step; name the one it needs", at(f, s)))
			}
		})
		jobs(f, func(id string, job *yaml.Node) {
			if s := get(job, "secrets"); s != nil && s.Kind == yaml.ScalarNode && s.Value == "inherit" {
				out = append(out, fmt.Sprintf("%s: job %s passes secrets: inherit, every secret, to %s; pass the ones it needs by name", at(f, s), id, get(job, "uses").Value))
			}
		})
	}
	return out
}

// Triggers that run with the base repository's token and secrets on code or
// artifacts a fork controls.
var privilegedTriggers = map[string]string{
	"pull_request_target": "runs with the base repository's write token and secrets on a fork's pull request",
	"workflow_run":        "runs with write token and secrets after a workflow a fork can trigger, often on its artifacts",
}

func triggerNames(on *yaml.Node) []*yaml.Node {
	switch {
	case on == nil:
		return nil
	case on.Kind == yaml.ScalarNode:
		return []*yaml.Node{on}
	case on.Kind == yaml.SequenceNode:
		return on.Content
	}
	var names []*yaml.Node
	for i := 0; i+1 < len(on.Content); i += 2 {
		names = append(names, on.Content[i])
	}
	return names
}

// No workflow is triggered by pull_request_target or workflow_run.
func noPrivilegedTriggers(r *tree) []string {
	var out []string
	for _, f := range r.workflows {
		for _, t := range triggerNames(get(f.doc, "on")) {
			if why, ok := privilegedTriggers[t.Value]; ok {
				out = append(out, fmt.Sprintf("%s: trigger %s %s; use pull_request or push", at(f, t), t.Value, why))
			}
		}
	}
	return out
}

var imageDigest = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

// Job containers and service containers are pinned by digest: a tag can be
// moved to other bytes.
func pinnedImages(r *tree) []string {
	var out []string
	check := func(f *yamlFile, what string, n *yaml.Node) {
		if n != nil && n.Kind == yaml.MappingNode {
			n = get(n, "image")
		}
		if n == nil || n.Kind != yaml.ScalarNode {
			return
		}
		if !imageDigest.MatchString(n.Value) {
			out = append(out, fmt.Sprintf("%s: %s image %s is not pinned by sha256 digest", at(f, n), what, n.Value))
		}
	}
	for _, f := range r.workflows {
		jobs(f, func(id string, job *yaml.Node) {
			check(f, "job "+id+" container", get(job, "container"))
			pairs(get(job, "services"), func(name string, svc *yaml.Node) {
				check(f, "job "+id+" service "+name, svc)
			})
		})
	}
	return out
}

var (
	// A run: step or a script that calls a pipeline script by path, or a
	// script that sources a sibling.
	scriptCall    = regexp.MustCompile(`(?:\./)?(\.github/scripts/[A-Za-z0-9_.-]+\.sh)`)
	siblingSource = regexp.MustCompile(`\$\(dirname "\$0"\)/([A-Za-z0-9_.-]+\.sh)`)
)

// runText is what a run: step executes: its own text followed by the text
// of each pipeline script (.github/scripts) it calls, and of each script
// those call or source, once each; a rule that reads only the inline text
// misses whatever moved into a script.
func (r *tree) runText(text string) string {
	seen := map[string]bool{}
	var b strings.Builder
	var add func(string)
	add = func(s string) {
		b.WriteString(s)
		b.WriteString("\n")
		var called []string
		for _, m := range scriptCall.FindAllStringSubmatch(s, -1) {
			called = append(called, m[1])
		}
		for _, m := range siblingSource.FindAllStringSubmatch(s, -1) {
			called = append(called, ".github/scripts/"+m[1])
		}
		for _, path := range called {
			if body, ok := r.scripts[path]; ok && !seen[path] {
				seen[path] = true
				add(body)
			}
		}
	}
	add(text)
	return b.String()
}

// envChain returns the env: mappings that a step sees, innermost first.
func envChain(nodes ...*yaml.Node) []map[string]string {
	var chain []map[string]string
	for _, n := range nodes {
		m := map[string]string{}
		pairs(get(n, "env"), func(k string, v *yaml.Node) { m[k] = v.Value })
		chain = append(chain, m)
	}
	return chain
}

// runSteps calls fn for every run: step of the workflows and composite
// actions, with the env: mappings it sees.
func (r *tree) runSteps(fn func(f *yamlFile, run *yaml.Node, env []map[string]string)) {
	for _, f := range r.workflows {
		jobs(f, func(_ string, job *yaml.Node) {
			for _, s := range steps(job) {
				if run := get(s, "run"); run != nil {
					fn(f, run, envChain(s, job, f.doc))
				}
			}
		})
	}
	for _, f := range r.actions {
		for _, s := range steps(get(f.doc, "runs")) {
			if run := get(s, "run"); run != nil {
				fn(f, run, envChain(s))
			}
		}
	}
}

var (
	dockerRun = regexp.MustCompile(`docker\s+(?:container\s+)?run\s+((?:[^\n\\]|\\\n)*)`)
	shellVar  = regexp.MustCompile(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$`)
	// docker run's options that take a value as the next word.
	dockerValueOptions = map[string]bool{
		"-v": true, "--volume": true, "-w": true, "--workdir": true, "-e": true, "--env": true, "--env-file": true,
		"-u": true, "--user": true, "--name": true, "--entrypoint": true, "--network": true, "--platform": true,
		"--mount": true, "-p": true, "--publish": true, "-l": true, "--label": true, "-h": true, "--hostname": true,
	}
)

// dockerRunImage returns the image word of a `docker run` command line.
func dockerRunImage(args string) string {
	words := strings.Fields(strings.ReplaceAll(args, "\\\n", " "))
	for i := 0; i < len(words); i++ {
		w := strings.Trim(words[i], `"'`)
		switch {
		case dockerValueOptions[w]:
			i++
		case strings.HasPrefix(w, "-"):
		default:
			return w
		}
	}
	return ""
}

// resolve expands a word that is one shell variable from the step's env:
// mappings, or from an assignment in the script text.
func resolve(word, text string, env []map[string]string) string {
	m := shellVar.FindStringSubmatch(word)
	if m == nil {
		return word
	}
	for _, e := range env {
		if v, ok := e[m[1]]; ok {
			return v
		}
	}
	if a := regexp.MustCompile(`(?m)^\s*` + m[1] + `=["']?([^"'\s]+)`).FindStringSubmatch(text); a != nil {
		return a[1]
	}
	return word
}

// Every `docker run`, in a run: step or in a script it calls, names its
// image by digest, as job and service containers must.
func pinnedDockerRun(r *tree) []string {
	var out []string
	r.runSteps(func(f *yamlFile, run *yaml.Node, env []map[string]string) {
		text := r.runText(run.Value)
		for _, m := range dockerRun.FindAllStringSubmatch(text, -1) {
			word := dockerRunImage(m[1])
			if image := resolve(word, text, env); !imageDigest.MatchString(image) {
				out = append(out, fmt.Sprintf("%s: docker run image %s is not pinned by sha256 digest", at(f, run), image))
			}
		}
	})
	return out
}

var displayNameCompare = regexp.MustCompile(`github\.workflow\s*[!=]=|[!=]=\s*github\.workflow\b`)

// No expression decides on github.workflow, the workflow's display name:
// any workflow of the repository may take any name (a job gated on
// "deploy" would run, and sign, for a workflow that merely calls itself
// deploy). github.workflow_ref names the file and the ref.
func noDisplayNameGates(r *tree) []string {
	var out []string
	for _, f := range slices.Concat(r.workflows, r.actions) {
		scalars(f.doc, func(s *yaml.Node) {
			if displayNameCompare.MatchString(s.Value) {
				out = append(out, fmt.Sprintf("%s: %q compares github.workflow, a display name any workflow can take; compare github.workflow_ref", at(f, s), strings.TrimSpace(s.Value)))
			}
		})
	}
	return out
}

// A file an actions/attest step signs (subject-path, sbom-path) came from
// an artifact, which any job of the run can replace: a step before it must
// check the file's sha256 against the building job's output (needs.*),
// which no other job can change; a subject-digest must be such an output.
func attestedInputsChecked(r *tree) []string {
	var out []string
	for _, f := range r.workflows {
		jobs(f, func(id string, job *yaml.Node) {
			all := steps(job)
			for i, s := range all {
				if u := get(s, "uses"); u == nil || !strings.HasPrefix(u.Value, attestAction) {
					continue
				}
				with := get(s, "with")
				if d := get(with, "subject-digest"); d != nil && !strings.Contains(d.Value, "needs.") {
					out = append(out, fmt.Sprintf("%s: job %s signs subject-digest %s, which is no output of the building job (needs.<job>.outputs)", at(f, d), id, d.Value))
				}
				for _, key := range []string{"subject-path", "sbom-path"} {
					if p := get(with, key); p != nil && !checkedAgainstOutput(all[:i], p.Value) {
						out = append(out, fmt.Sprintf("%s: job %s signs %s %s without first checking its sha256 against the building job's output (needs.<job>.outputs)", at(f, p), id, key, p.Value))
					}
				}
			}
		})
	}
	return out
}

// checkedAgainstOutput says whether one of the steps runs sha256sum over
// path with an env: value taken from a needs.*.outputs expression.
func checkedAgainstOutput(before []*yaml.Node, path string) bool {
	for _, s := range before {
		run := get(s, "run")
		if run == nil || !strings.Contains(run.Value, "sha256sum") || !strings.Contains(run.Value, path) {
			continue
		}
		fromOutput := false
		pairs(get(s, "env"), func(_ string, v *yaml.Node) {
			fromOutput = fromOutput || regexp.MustCompile(`needs\.[A-Za-z0-9_-]+\.outputs\.`).MatchString(v.Value)
		})
		if fromOutput {
			return true
		}
	}
	return false
}

var (
	pipInstall       = regexp.MustCompile(`pip"?\s+install\b[^\n]*(?:\\\n[^\n]*)*`)
	npmInstall       = regexp.MustCompile(`npm\s+(?:install|i|ci)\b[^\n]*`)
	terraformInit    = regexp.MustCompile(`(?:terraform|\btf)\b[^\n|;]*\sinit\b[^\n]*(?:\\\n[^\n]*)*`)
	commentLine      = regexp.MustCompile(`(?m)^\s*#.*$`)
	uncheckedActions = map[string]string{
		"hashicorp/setup-terraform@": "downloads the Terraform CLI without checking it; install it with a pinned SHA-256 (.github/scripts/install-terraform.sh)",
	}
)

// What the pipeline installs is what was pinned, checked against a hash:
// Python packages only from hash-locked files and only as wheels (an sdist
// runs its build code), npm packages only from a tarball whose integrity
// was checked or by npm ci from a committed lock with integrity hashes, Terraform providers only as the committed lock file says,
// the Terraform CLI only checked. Dependabot moves every kind of pin the
// repository holds.
func pinnedInstalls(r *tree) []string {
	var out []string
	texts := map[string]string{}
	for path, text := range r.scripts {
		texts[path] = text
	}
	r.runSteps(func(f *yamlFile, run *yaml.Node, _ []map[string]string) { texts[at(f, run)] = run.Value })
	for where, text := range texts {
		text = commentLine.ReplaceAllString(text, "")
		for _, m := range pipInstall.FindAllString(text, -1) {
			if !strings.Contains(m, "--require-hashes") || !strings.Contains(m, "--only-binary :all:") {
				out = append(out, fmt.Sprintf("%s: %q installs without --require-hashes and --only-binary :all:", where, strings.TrimSpace(m)))
			}
		}
		for _, m := range npmInstall.FindAllString(text, -1) {
			// npm ci installs exactly the committed package-lock.json and
			// checks each package against the integrity hash it holds.
			if !strings.Contains(m, "tgz") && !strings.HasPrefix(strings.Join(strings.Fields(m), " "), "npm ci ") {
				out = append(out, fmt.Sprintf("%s: %q installs from the registry, not a tarball whose integrity was checked", where, strings.TrimSpace(m)))
			}
		}
		if strings.HasPrefix(where, ".github/") {
			for _, m := range terraformInit.FindAllString(text, -1) {
				if !strings.Contains(m, "-lockfile=readonly") {
					out = append(out, fmt.Sprintf("%s: %q may change the provider lock file; add -lockfile=readonly", where, strings.TrimSpace(m)))
				}
			}
		}
	}
	for _, f := range slices.Concat(r.workflows, r.actions) {
		walk(f.doc, func(k, v *yaml.Node) {
			for prefix, why := range uncheckedActions {
				if k.Value == "uses" && strings.HasPrefix(v.Value, prefix) {
					out = append(out, fmt.Sprintf("%s: %s %s", at(f, v), strings.TrimSuffix(prefix, "@"), why))
				}
			}
		})
	}
	out = append(out, dependabotCoversPins(r)...)
	sort.Strings(out)
	return out
}

// dependabotCoversPins: each directory with pins of a kind has a
// Dependabot entry of that ecosystem.
func dependabotCoversPins(r *tree) []string {
	data, err := os.ReadFile(filepath.Join(r.root, ".github", "dependabot.yml"))
	if err != nil {
		return []string{".github/dependabot.yml: " + err.Error()}
	}
	var cfg struct {
		Updates []struct {
			Ecosystem   string   `yaml:"package-ecosystem"`
			Directory   string   `yaml:"directory"`
			Directories []string `yaml:"directories"`
		} `yaml:"updates"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return []string{".github/dependabot.yml: " + err.Error()}
	}
	covered := map[string]bool{}
	for _, u := range cfg.Updates {
		for _, d := range append(u.Directories, u.Directory) {
			if d != "" {
				covered[u.Ecosystem+" "+strings.TrimSuffix(d, "/")] = true
			}
		}
	}
	want := map[string]string{"docker /": "images by digest"}
	glob := func(pattern, ecosystem, what string) {
		files, _ := filepath.Glob(filepath.Join(r.root, pattern))
		for _, f := range files {
			rel, _ := filepath.Rel(r.root, filepath.Dir(f))
			want[ecosystem+" /"+strings.TrimPrefix(filepath.ToSlash(rel), ".")] = what
		}
	}
	glob("go.mod", "gomod", "go.mod")
	glob("scripts/tools/*.in", "pip", "hash-locked Python tools")
	glob("infra/*/.terraform.lock.hcl", "terraform", "a provider lock file")
	var out []string
	for k, what := range want {
		if !covered[strings.TrimSuffix(k, "/")] && !covered[k] {
			eco, dir, _ := strings.Cut(k, " ")
			out = append(out, fmt.Sprintf(".github/dependabot.yml: no %s entry for %s (%s)", eco, dir, what))
		}
	}
	return out
}

// TestWorkflowRules holds this repository's workflows to every rule.
func TestWorkflowRules(t *testing.T) {
	r := loadRepo(t, repo.Root())
	for _, rl := range rules {
		t.Run(rl.name, func(t *testing.T) {
			for _, v := range rl.check(r) {
				t.Error(v)
			}
		})
	}
}

// TestWorkflowRulesCatch proves each rule can fail: each testdata/bad-<rule>
// repository breaks exactly that rule.
func TestWorkflowRulesCatch(t *testing.T) {
	want := map[string][]string{
		"pinned-uses":               {"actions/checkout@v4 is not pinned", "has no version comment", "docker://alpine:3 is not pinned"},
		"top-permissions":           {"top-level permissions grant contents: write", "no top-level permissions"},
		"id-token":                  {"job build has id-token: write but assumes no AWS role", "without audience: sts.amazonaws.com", "id-token: write at the top level", "job deploy builds the image while holding AWS or signing credentials", "job sign builds the image while holding AWS or signing credentials", "job call has id-token: write but assumes no AWS role", "job scripted builds the image while holding AWS or signing credentials"},
		"concurrency":               {"no top-level concurrency group", "without a concurrency group for it", "cancel-in-progress: true in a workflow that deploys"},
		"no-long-lived-credentials": {`"aws-access-key-id"`, "secret AWS_SECRET_ACCESS_KEY referenced", `"AWS_SECRET_ACCESS_KEY"`},
		"checkout-credentials":      {"bad.yml:9: actions/checkout without persist-credentials: false", "bad.yml:10: actions/checkout without", "bad.yml:13: actions/checkout without"},
		"platform":                  {"builds for linux/arm64, but cpu_architecture in infra/platform.json gives linux/amd64"},
		"all-secrets":               {"bad.yml:12: toJSON(secrets) hands every secret", "bad.yml:14: job call passes secrets: inherit"},
		"triggers":                  {"bad.yml:3: trigger pull_request_target", "bad.yml:4: trigger workflow_run", "list.yml:2: trigger pull_request_target"},
		"pinned-images":             {"job test container image node:22 is not pinned", "job test service db image postgres:17 is not pinned", "job test service cache image redis@sha256:abc is not pinned"},
		"pinned-docker-run":         {"bad.yml:11: docker run image alpine:3 is not pinned", "bad.yml:12: docker run image ghcr.io/planted/scanner:latest is not pinned", "bad.yml:16: docker run image busybox is not pinned"},
		"display-name-gates":        {"bad.yml:8: \"github.workflow == 'deploy'\" compares github.workflow", "bad.yml:12: \"${{ github.workflow != 'ci' && '30' || '7' }}\" compares github.workflow"},
		"pinned-installs": {
			`.github/scripts/tf.sh: "terraform -chdir=infra/envs init -input=false" may change the provider lock file`,
			`bad.yml:11: "pip install -r requirements.txt" installs without --require-hashes`,
			`scripts/tools.sh: "pip install --require-hashes -r tools.txt" installs without`,
			`scripts/tools.sh: "npm install --prefix .tools axe-core@4.14.1" installs from the registry`,
			"hashicorp/setup-terraform downloads the Terraform CLI without checking it",
			"no terraform entry for /infra/envs", "no docker entry for /",
		},
		"attested-inputs": {"job sign signs sbom-path dist/pollstack.cdx.json without first checking", "job sign signs subject-digest ${{ steps.digest.outputs.digest }}, which is no output", "job sign signs subject-path dist/pollstack.oci.tar without first checking"},
	}
	for _, rl := range rules {
		t.Run(rl.name, func(t *testing.T) {
			bad := loadRepo(t, filepath.Join("testdata", "bad-"+rl.name))
			got := strings.Join(rl.check(bad), "\n")
			if len(want[rl.name]) == 0 {
				t.Fatalf("no expectation for rule %s", rl.name)
			}
			for _, w := range want[rl.name] {
				if !strings.Contains(got, w) {
					t.Errorf("rule %s on testdata/bad-%s: want a violation containing %q, got:\n%s", rl.name, rl.name, w, got)
				}
			}
		})
	}
}
