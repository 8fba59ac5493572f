// Package suites holds the conformance specs (Ginkgo v2 + Gomega), one file per endpoint plus
// header rules and authorization. The runner configures the target with Configure and then
// runs the specs; every spec names the catalog rule it checks.
package suites

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/journal"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// SuiteDescription names the Ginkgo suite in reports.
const SuiteDescription = "MPSD handles API conformance"

// Env is what every spec needs to reach the target. It is set once, before the run, and only
// read afterwards.
type Env struct {
	// Client sends every request to the target.
	Client *mpsdclient.Client
	// Identities are the callers: user1, user2, user3 and, if one is configured, the server
	// principal (specs that need it are skipped without one).
	Identities *identity.Store
	// World is the target's test world: SCID, templates, title, social graph.
	World fixtures.Environment
	// RunID tags every session the run creates.
	RunID string
	// Journal, if not nil, records every membership and handle the specs create, and their
	// cleanup, so `mpsdconf sweep` can undo what a crashed run left behind.
	Journal *journal.Journal
	// Process is this process's number (from 1) in a multi-process run, 0 otherwise; journal
	// entries qualify identity names with it (journal.Qualify).
	Process int
	// InShard, in a run of one shard (--shard), says whether a spec (by its full text) belongs
	// to the shard; the others are skipped with outcome.ShardSkipMessage. nil runs every spec.
	InShard func(specFullText string) bool
	// Claim, in a worker process of a multi-process run, asks the parent process for the spec
	// about to run (by its full text): true when this worker is the first to ask and runs it,
	// false when another worker has it (the spec is skipped with outcome.ClaimSkipMessage).
	// An error (the parent is gone) fails the spec as a harness error. nil runs every spec.
	Claim func(specFullText string) (bool, error)
}

var (
	envMu sync.RWMutex
	env   *Env
)

// Configure sets the target for the specs. It must be called before the run starts.
func Configure(e *Env) error {
	if e == nil || e.Client == nil || e.Identities == nil {
		return errors.New("suites: Configure needs a client and identities")
	}
	if err := e.World.Validate(); err != nil {
		return fmt.Errorf("suites: %w", err)
	}
	if !fixtures.IsSessionName(e.RunID) || len(e.RunID) > 40 {
		return fmt.Errorf("suites: run ID %q must be 1..40 characters of [A-Za-z0-9._-]", e.RunID)
	}
	for _, name := range fixtures.RequiredIdentities {
		if _, err := e.Identities.Get(name); err != nil {
			return fmt.Errorf("suites: %w", err)
		}
	}
	envMu.Lock()
	defer envMu.Unlock()
	env = e
	return nil
}

func currentEnv() *Env {
	envMu.RLock()
	defer envMu.RUnlock()
	return env
}

// Registration bookkeeping: which spec texts name which rules, and what went wrong while the
// spec tree was declared. Written only during package initialisation.
var (
	regMu      sync.Mutex
	regErrors  []string
	specsSeen  = map[string]string{} // spec text -> rule ID
	rulesSpecs = map[string][]string{}
)

// ruleLabels returns the labels for a spec of ruleID and records the spec.
func ruleLabels(ruleID, text string) Labels {
	regMu.Lock()
	defer regMu.Unlock()
	if strings.TrimSpace(text) == "" || text != strings.TrimSpace(text) {
		regErrors = append(regErrors, fmt.Sprintf("spec %q: text must be a non-empty sentence without surrounding spaces", text))
	}
	if prev, dup := specsSeen[text]; dup {
		regErrors = append(regErrors, fmt.Sprintf("spec %q is declared twice (rules %s and %s)", text, prev, ruleID))
	}
	specsSeen[text] = ruleID
	rulesSpecs[ruleID] = append(rulesSpecs[ruleID], text)
	rule, ok := catalog.Default().Rule(ruleID)
	if !ok {
		regErrors = append(regErrors, fmt.Sprintf("spec %q names rule %q, which is not in the catalog", text, ruleID))
		return Label(catalog.RuleLabelKey + ":" + ruleID)
	}
	return Label(rule.Labels()...)
}

// RegistrationErrors returns the problems found while the specs were declared.
func RegistrationErrors() []string {
	regMu.Lock()
	defer regMu.Unlock()
	return append([]string(nil), regErrors...)
}

// SpecsByRule returns, for every rule that has specs, the spec texts naming it.
func SpecsByRule() map[string][]string {
	regMu.Lock()
	defer regMu.Unlock()
	out := make(map[string][]string, len(rulesSpecs))
	for id, texts := range rulesSpecs {
		out[id] = append([]string(nil), texts...)
		sort.Strings(out[id])
	}
	return out
}

// Spec declares one spec of a catalog rule. text is a full sentence saying the request and the
// expected result.
func Spec(ruleID, text string, body func(SpecContext), decorators ...any) bool {
	args := append([]any{ruleLabels(ruleID, text)}, decorators...)
	args = append(args, body)
	return It(text, args...)
}

// RuleEntry declares one table entry of a catalog rule; text is the entry's full sentence.
func RuleEntry(ruleID, text string, parameters ...any) TableEntry {
	args := append([]any{ruleLabels(ruleID, text)}, parameters...)
	return Entry(text, args...)
}

var _ = BeforeSuite(func() {
	if errs := RegistrationErrors(); len(errs) > 0 {
		Fail("the spec tree has registration errors:\n  " + strings.Join(errs, "\n  "))
	}
	if currentEnv() == nil {
		Fail("suites.Configure was not called: run the suites with `mpsdconf run` (or `make conformance`)")
	}
})

// NeedsServer is the decorator of a spec that acts as the server principal: without a server
// identity it is skipped before it sends anything (SkipNoServer says why).
var NeedsServer = Label(NeedsServerLabel)

// NeedsServerLabel is the label NeedsServer puts on a spec.
const NeedsServerLabel = "needs:server-identity"

// SkipNoServer is the skip message of a spec that needs a server identity when the run has none.
const SkipNoServer = "needs a server identity (none configured)"

// Before every spec, in the run of one shard or a worker of a multi-process run, skip the spec
// unless it is this process's: it belongs to the shard and this worker claimed it first. Then
// skip a spec that needs a server identity the run does not have. A top-level BeforeEach runs
// before every other setup node of the spec.
var _ = BeforeEach(func() {
	e := currentEnv()
	if e == nil {
		return
	}
	name := CurrentSpecReport().FullText()
	if e.InShard != nil && !e.InShard(name) {
		Skip(outcome.ShardSkipMessage)
	}
	if e.Claim != nil {
		mine, err := e.Claim(name)
		if err != nil {
			Fail(HarnessErrorPrefix + "could not claim the spec from the parent process: " + err.Error())
		}
		if !mine {
			Skip(outcome.ClaimSkipMessage)
		}
	}
	if !e.Identities.Has(Server) && slices.Contains(CurrentSpecReport().Labels(), NeedsServerLabel) {
		Skip(SkipNoServer)
	}
})

// SpecRuleID returns the rule ID of a finished spec, from its labels.
func SpecRuleID(r types.SpecReport) (string, bool) {
	return catalog.RuleIDFromLabels(r.Labels())
}
