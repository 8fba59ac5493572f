package suites

import (
	"fmt"
	"net/url"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

// HarnessErrorPrefix starts the failure message of a spec that could not check its rule: the
// target gave no usable answer (no response, timeout, throttled beyond the retry budget, a
// body too large to read). Reports class such specs as harness errors, not failures.
const HarnessErrorPrefix = outcome.HarnessErrorPrefix

// RetriesEntry names the report entry that counts a spec's retried (throttled) requests.
const RetriesEntry = outcome.RetriesEntry

// failRequest fails the spec for a request that got no usable answer, classing it as a
// harness error when the cause lies in reaching the target rather than in its answer. shown
// is the redacted error, cause the original one (for its class). Like every helper it is a
// GinkgoHelper: the failure is reported at the spec line that asked for the request.
func failRequest(shown, cause error, detail string) {
	GinkgoHelper()
	prefix := "request failed: "
	if mpsdclient.IsHarnessError(cause) {
		prefix = HarnessErrorPrefix
	}
	Fail(fmt.Sprintf("%s%v%s", prefix, shown, detail))
}

// BlockedPrefix starts the failure message of a spec whose setup step failed: the target broke
// the rule that the setup request relies on (named in brackets right after the prefix), so the
// spec's own rule could not be checked. Reports class such specs as blocked, not failed: the
// failure is counted once, at the rule the setup broke, whose own specs report it.
const BlockedPrefix = outcome.BlockedPrefix

// blockSetup blocks the spec when ok is false: the setup request ex (described by what, e.g.
// "creating a session") did not get an answer that rule requires (want says which).
func blockSetup(ok bool, rule, what, want string, ex *mpsdclient.Exchange) {
	GinkgoHelper()
	if ok {
		return
	}
	Fail(fmt.Sprintf("%s[%s]: setup step %s (%s %s) answered %d, want %s; this spec's own rule was not checked\n%s",
		BlockedPrefix, rule, what, ex.Method, urlPath(ex.URL), ex.Status, want, ex))
}

// urlPath returns the path of an absolute or relative URL (the value itself if unparsable).
func urlPath(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Path == "" {
		return v
	}
	return u.Path
}
