package suites

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Authorization rules, checked on every endpoint. Each entry prepares, as user1, a request that
// would succeed (see Scenario.prepare in endpoints.go) and sends it with a missing, malformed or
// tampered Authorization header. The real Authorization values are secrets: a tampered value
// is built inside the spec and only ever reaches the client, which redacts the header in every
// rendered exchange; it is never printed, nor passed as a table parameter.

// authMalformedValues are Authorization values that are not "XBL3.0 x=<userhash>;<token>".
var authMalformedValues = []string{"Bearer abc", "XBL3.0 nohash", "XBL3.0 x=;"}

// Ways to tamper with user1's token.
const (
	authTamperMiddle = "middle"
	authTamperAppend = "append"
)

func authMissingEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range endpoints {
		entries = append(entries, RuleEntry("AUTH-MISSING-401",
			fmt.Sprintf("%s without an Authorization header is answered 401", ep.label), ep.key))
	}
	return entries
}

func authMalformedEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range endpoints {
		for _, v := range authMalformedValues {
			entries = append(entries, RuleEntry("AUTH-MALFORMED-401",
				fmt.Sprintf("%s with the malformed Authorization value %q is answered 401", ep.label, v), ep.key, v))
		}
	}
	return entries
}

func authForgedEntries() []TableEntry {
	var entries []TableEntry
	for _, ep := range endpoints {
		entries = append(entries,
			RuleEntry("AUTH-FORGED-401",
				fmt.Sprintf("%s with user1's token altered by one character in the middle is answered 401", ep.label), ep.key, authTamperMiddle),
			RuleEntry("AUTH-FORGED-401",
				fmt.Sprintf("%s with user1's token extended by one character is answered 401", ep.label), ep.key, authTamperAppend),
		)
	}
	return entries
}

// authTampered returns user1's Authorization value with its token part (after ';') altered.
// The result is a secret in all but one character: never print it.
func authTampered(s *Scenario, how string) string {
	GinkgoHelper()
	value, err := s.Who(User1).Credential().Authorization(s.ctx)
	if err != nil {
		failRequest(errors.New(s.env.Client.Redactor().String(err.Error())), err, "")
	}
	prefix, token, ok := strings.Cut(value, ";")
	// The message names the expected shape only, never the value.
	Expect(ok && token != "").To(BeTrue(), "precondition: user1's Authorization value is not of the form 'XBL3.0 x=<userhash>;<token>'")
	switch how {
	case authTamperMiddle:
		b := []byte(token)
		mid := len(b) / 2
		if b[mid] == 'A' {
			b[mid] = 'B'
		} else {
			b[mid] = 'A'
		}
		token = string(b)
	case authTamperAppend:
		token += "x"
	default:
		Fail("spec defect: unknown tampering " + how)
	}
	return prefix + ";" + token
}

var _ = Describe("[authorization]", func() {
	DescribeTable("A request without an Authorization header is answered 401",
		func(ctx SpecContext, key string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ex := s.send(req, Anonymous)
			ExpectStatus(ex, http.StatusUnauthorized)
		},
		authMissingEntries(),
	)

	DescribeTable("A request with a malformed Authorization header is answered 401",
		func(ctx SpecContext, key, value string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ex := s.send(req, Anonymous, mpsdclient.WithAuthorization(value))
			ExpectStatus(ex, http.StatusUnauthorized)
		},
		authMalformedEntries(),
	)

	DescribeTable("A request with a tampered Authorization token is answered 401",
		func(ctx SpecContext, key, how string) {
			s := NewScenario(ctx)
			req := s.prepare(key)
			ex := s.send(req, Anonymous, mpsdclient.WithAuthorization(authTampered(s, how)))
			ExpectStatus(ex, http.StatusUnauthorized)
		},
		authForgedEntries(),
	)
})
