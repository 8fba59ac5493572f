package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// HarnessErrorPrefix starts the failure message of a spec that could not check its rule: the
// target gave no usable answer (no response, timeout, throttled beyond the retry budget, a
// body too large to read). Reports class such specs as harness errors, not failures.
const HarnessErrorPrefix = "harness error: "

// RetriesEntry names the report entry that counts a spec's retried (throttled) requests.
const RetriesEntry = "retries"

// failRequest fails the spec for a request that got no usable answer, classing it as a
// harness error when the cause lies in reaching the target rather than in its answer. shown
// is the redacted error, cause the original one (for its class).
func failRequest(shown, cause error, detail string, offset int) {
	prefix := "request failed: "
	if mpsdclient.IsHarnessError(cause) {
		prefix = HarnessErrorPrefix
	}
	Fail(fmt.Sprintf("%s%v%s", prefix, shown, detail), offset+1)
}
