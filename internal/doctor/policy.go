package doctor

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// This file evaluates IAM policy documents for one request, the way IAM
// does for identity-based policies: an explicit Deny wins, then any Allow,
// otherwise the request is implicitly denied. It supports Action/NotAction,
// Resource/NotResource with the * and ? wildcards, and the condition
// operators that execution-role policies use in practice (String*, Arn*,
// Bool, Null, with IfExists and the ForAnyValue/ForAllValues set
// qualifiers). A condition operator it does not know makes an Allow
// statement not apply and a Deny statement apply, so that an unknown
// condition never makes doctor report access that may not exist.

// Request is the one call to evaluate: an action on a resource, with the
// request context keys that AWS would set (keys are case-insensitive).
type Request struct {
	Action   string
	Resource string
	Context  map[string][]string
}

// Decision is the outcome of evaluating policies for a Request.
type Decision int

const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allowed: some statement allows it and none denies it.
	Allowed
	// ExplicitDeny: a Deny statement matches the request.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitly denied"
	default:
		return "implicitly denied"
	}
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy document. Action, Resource and
// their Not forms accept a string or a list of strings.
type Statement struct {
	Sid          string                           `json:"Sid,omitempty"`
	Principal    json.RawMessage                  `json:"Principal,omitempty"`
	NotPrincipal json.RawMessage                  `json:"NotPrincipal,omitempty"`
	Effect       string                           `json:"Effect"`
	Action       stringList                       `json:"Action,omitempty"`
	NotAction    stringList                       `json:"NotAction,omitempty"`
	Resource     stringList                       `json:"Resource,omitempty"`
	NotResource  stringList                       `json:"NotResource,omitempty"`
	Condition    map[string]map[string]stringList `json:"Condition,omitempty"`
}

// stringList decodes a JSON string or array of strings (and booleans or
// numbers, which conditions may use) into a list of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	switch v := raw.(type) {
	case nil:
		*s = nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			out = append(out, scalar(e))
		}
		*s = out
	default:
		*s = []string{scalar(v)}
	}
	return nil
}

func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		if t {
			return "true"
		}
		return "false"
	default:
		return fmt.Sprint(t)
	}
}

// ParsePolicy decodes a policy document as IAM returns it: either plain
// JSON or URL-encoded JSON (GetRolePolicy and GetPolicyVersion encode it).
// A single statement object instead of a list is accepted.
func ParsePolicy(doc string) (PolicyDocument, error) {
	text := strings.TrimSpace(doc)
	if !strings.HasPrefix(text, "{") {
		dec, err := url.QueryUnescape(text)
		if err != nil {
			return PolicyDocument{}, fmt.Errorf("decode policy document: %w", err)
		}
		text = dec
	}
	var probe struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(text), &probe); err != nil {
		return PolicyDocument{}, fmt.Errorf("parse policy document: %w", err)
	}
	pd := PolicyDocument{Version: probe.Version}
	raw := strings.TrimSpace(string(probe.Statement))
	switch {
	case raw == "" || raw == "null":
	case strings.HasPrefix(raw, "{"):
		var st Statement
		if err := json.Unmarshal(probe.Statement, &st); err != nil {
			return PolicyDocument{}, fmt.Errorf("parse policy statement: %w", err)
		}
		pd.Statement = []Statement{st}
	default:
		if err := json.Unmarshal(probe.Statement, &pd.Statement); err != nil {
			return PolicyDocument{}, fmt.Errorf("parse policy statements: %w", err)
		}
	}
	return pd, nil
}

// EvaluateBounded returns the decision for a role with identity-based
// policies and a permissions boundary (nil: none): the request is allowed
// only where both allow, and an explicit Deny in either wins.
func EvaluateBounded(policies, boundary []PolicyDocument, req Request) Decision {
	dec := Evaluate(policies, req)
	if boundary == nil {
		return dec
	}
	bdec := Evaluate(boundary, req)
	switch {
	case dec == ExplicitDeny || bdec == ExplicitDeny:
		return ExplicitDeny
	case dec == Allowed && bdec == Allowed:
		return Allowed
	}
	return ImplicitDeny
}

// EvaluateTrust returns the decision of a role's trust policy for a caller
// that assumes the role: a statement applies only when it names the caller
// (principalType AWS, Federated or Service, and the principal's ARN or
// name), and a trust policy names no Resource: it applies to its role.
func EvaluateTrust(trust PolicyDocument, principalType, principal string, req Request) Decision {
	var applicable []Statement
	for _, st := range trust.Statement {
		if namesPrincipal(st.Principal, principalType, principal) {
			st.Resource, st.NotResource = stringList{"*"}, nil
			applicable = append(applicable, st)
		}
	}
	return Evaluate([]PolicyDocument{{Statement: applicable}}, req)
}

// namesPrincipal reports whether a statement's Principal ("*" or a map of
// type to one or more names) names the caller.
func namesPrincipal(raw json.RawMessage, principalType, principal string) bool {
	var any string
	if json.Unmarshal(raw, &any) == nil {
		return any == "*"
	}
	var byType map[string]stringList
	if json.Unmarshal(raw, &byType) != nil {
		return false
	}
	for typ, names := range byType {
		if strings.EqualFold(typ, principalType) && anyMatch(names, principal, false) {
			return true
		}
	}
	return false
}

// Unsupported lists what this evaluator cannot decide exactly in a
// document: condition operators it does not implement, and NotPrincipal.
// Evaluate guesses on those (never reporting access that may not exist), so
// a proof that access is denied must first check that the list is empty.
func Unsupported(doc PolicyDocument) []string {
	var out []string
	for i, st := range doc.Statement {
		if len(st.NotPrincipal) > 0 {
			out = append(out, fmt.Sprintf("statement %d (%s): NotPrincipal", i, st.Sid))
		}
		for op := range st.Condition {
			if _, known := condition(op, nil, false, nil); !known {
				out = append(out, fmt.Sprintf("statement %d (%s): condition operator %s", i, st.Sid, op))
			}
		}
	}
	return out
}

// Evaluate returns the decision of a set of identity-based policies for req.
func Evaluate(policies []PolicyDocument, req Request) Decision {
	ctx := make(map[string][]string, len(req.Context))
	for k, v := range req.Context {
		ctx[strings.ToLower(k)] = v
	}
	allowed := false
	for _, p := range policies {
		for _, st := range p.Statement {
			if !st.matches(req, ctx) {
				continue
			}
			switch strings.ToLower(st.Effect) {
			case "deny":
				return ExplicitDeny
			case "allow":
				allowed = true
			}
		}
	}
	if allowed {
		return Allowed
	}
	return ImplicitDeny
}

func (st Statement) matches(req Request, ctx map[string][]string) bool {
	deny := strings.EqualFold(st.Effect, "deny")
	switch {
	case len(st.Action) > 0:
		if !anyMatch(st.Action, req.Action, true) {
			return false
		}
	case len(st.NotAction) > 0:
		if anyMatch(st.NotAction, req.Action, true) {
			return false
		}
	default:
		return false
	}
	switch {
	case len(st.Resource) > 0:
		if !anyMatch(st.Resource, req.Resource, false) {
			return false
		}
	case len(st.NotResource) > 0:
		if anyMatch(st.NotResource, req.Resource, false) {
			return false
		}
	default:
		return false
	}
	for op, block := range st.Condition {
		for key, values := range block {
			ok, known := condition(op, ctx[strings.ToLower(key)], hasKey(ctx, key), values)
			if !known {
				// Unknown operator: assume the worst for the caller.
				if deny {
					continue
				}
				return false
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

func hasKey(ctx map[string][]string, key string) bool {
	_, ok := ctx[strings.ToLower(key)]
	return ok
}

func anyMatch(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if wildcard(p, value, fold) {
			return true
		}
	}
	return false
}

// wildcard matches value against an IAM pattern where * matches any run of
// characters (including none, and across ':' and '/') and ? exactly one.
func wildcard(pattern, value string, fold bool) bool {
	if fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	p, v := []rune(pattern), []rune(value)
	pi, vi := 0, 0
	star, mark := -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// condition evaluates one operator for one key. It reports known=false for
// operators it does not implement.
func condition(op string, have []string, present bool, want []string) (ok, known bool) {
	name := op
	forAll := false
	if i := strings.Index(name, ":"); i >= 0 {
		switch strings.ToLower(name[:i]) {
		case "forallvalues":
			forAll = true
		case "foranyvalue":
		default:
			return false, false
		}
		name = name[i+1:]
	}
	ifExists := false
	if strings.HasSuffix(name, "IfExists") {
		ifExists = true
		name = strings.TrimSuffix(name, "IfExists")
	}
	if strings.EqualFold(name, "Null") {
		// Null: "true" means the key must be absent, "false" present.
		for _, w := range want {
			if strings.EqualFold(w, "true") == !present {
				return true, true
			}
		}
		return false, true
	}
	match, negated, known := operator(name)
	if !known {
		return false, false
	}
	if !present {
		if ifExists || forAll {
			return true, true
		}
		// A negated operator on a missing key matches in IAM.
		return negated, true
	}
	one := func(v string) bool {
		for _, w := range want {
			if match(w, v) {
				return true
			}
		}
		return false
	}
	var res bool
	switch {
	case forAll:
		res = true
		for _, v := range have {
			if !one(v) {
				res = false
				break
			}
		}
	default: // single-valued keys and ForAnyValue
		for _, v := range have {
			if one(v) {
				res = true
				break
			}
		}
	}
	if negated {
		return !res, true
	}
	return res, true
}

// operator returns the positive comparison for a condition operator name,
// whether the operator negates it, and whether it is known.
func operator(name string) (match func(want, have string) bool, negated, known bool) {
	switch strings.ToLower(name) {
	case "stringequals":
		return func(w, h string) bool { return w == h }, false, true
	case "stringnotequals":
		return func(w, h string) bool { return w == h }, true, true
	case "stringequalsignorecase":
		return strings.EqualFold, false, true
	case "stringnotequalsignorecase":
		return strings.EqualFold, true, true
	case "stringlike":
		return func(w, h string) bool { return wildcard(w, h, false) }, false, true
	case "stringnotlike":
		return func(w, h string) bool { return wildcard(w, h, false) }, true, true
	case "arnequals", "arnlike":
		return arnLike, false, true
	case "arnnotequals", "arnnotlike":
		return arnLike, true, true
	case "bool":
		return strings.EqualFold, false, true
	}
	return nil, false, false
}

// arnLike compares ARNs field by field: each of the six colon-separated
// parts of the pattern must match the same part of the value.
func arnLike(want, have string) bool {
	w := strings.SplitN(want, ":", 6)
	h := strings.SplitN(have, ":", 6)
	if len(w) != 6 || len(h) != 6 {
		return wildcard(want, have, false)
	}
	for i := range w {
		if !wildcard(w[i], h[i], false) {
			return false
		}
	}
	return true
}
