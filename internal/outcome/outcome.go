// Package outcome holds the outcome classes of a spec and the markers by which a spec tells
// the reports how to class its result: the suites write the markers into failure messages and
// report entries, the report package reads them, and the tools that compare reports (rundiff,
// history) read the classes. It is a leaf, so that none of them imports the spec tree.
package outcome

// The outcome classes of a spec, as report.json writes them (report.Classify assigns them).
const (
	Passed       = "passed"
	Failed       = "failed"
	Blocked      = "blocked"
	Flaky        = "flaky"
	Skipped      = "skipped"
	HarnessError = "harness-error"
)

// HarnessErrorPrefix starts the failure message of a spec that could not check its rule: the
// target gave no usable answer (no response, timeout, throttled beyond the retry budget, a
// body too large to read). Reports class such specs as harness errors, not failures.
const HarnessErrorPrefix = "harness error: "

// BlockedPrefix starts the failure message of a spec whose setup step failed: the target broke
// the rule that the setup request relies on (named in brackets right after the prefix), so the
// spec's own rule could not be checked. Reports class such specs as blocked, not failed: the
// failure is counted once, at the rule the setup broke, whose own specs report it.
const BlockedPrefix = "blocked by "

// RetriesEntry names the report entry that counts a spec's retried (throttled) requests.
const RetriesEntry = "retries"

// ClaimSkipMessage is the skip message of a spec that, in a worker process of a multi-process
// run (--procs), another worker claimed first and runs. Such skips are not results: the parent
// drops them when it merges the workers' reports.
const ClaimSkipMessage = "claimed by another worker"

// ShardSkipMessage is the skip message of a spec that belongs to another shard of a sharded
// run (--shard). Such skips are not results: a shard's reports leave those specs out.
const ShardSkipMessage = "belongs to another shard"

// IsForeignSkip reports whether a spec's skip message says that another worker or shard runs
// it (ClaimSkipMessage, ShardSkipMessage).
func IsForeignSkip(message string) bool {
	return message == ClaimSkipMessage || message == ShardSkipMessage
}
