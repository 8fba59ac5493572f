package suites

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/schemas"
)

// Every assertion below prints the whole exchange (secrets redacted) when it fails, so the
// failure message alone shows the request, the status, the headers and the body. Each one is a
// GinkgoHelper and uses plain Expect: a failure is reported at the spec line that called it
// (through any number of helpers that are GinkgoHelpers too), never at a line in here.

// ExpectStatus asserts the response status is one of want.
func ExpectStatus(ex *mpsdclient.Exchange, want ...int) {
	GinkgoHelper()
	if len(want) == 1 {
		Expect(ex.Status).To(Equal(want[0]), "unexpected status %d, want %d\n%s", ex.Status, want[0], ex)
		return
	}
	Expect(ex.Status).To(BeElementOf(want), "unexpected status %d, want one of %v\n%s", ex.Status, want, ex)
}

// ExpectSuccess asserts the response status is a 2xx success.
func ExpectSuccess(ex *mpsdclient.Exchange) {
	GinkgoHelper()
	Expect(is2xx(ex.Status)).To(BeTrue(), "status %d, want a 2xx success\n%s", ex.Status, ex)
}

// Expect4xx asserts the request was rejected with a client-error status.
func Expect4xx(ex *mpsdclient.Exchange) {
	GinkgoHelper()
	Expect(ex.Status).To(And(BeNumerically(">=", 400), BeNumerically("<", 500)),
		"status %d, want a 4xx rejection\n%s", ex.Status, ex)
}

// any4xx is the status a loose rule of a twin wants: any 4xx rejection (see expectRejected).
const any4xx = 0

// expectRejected asserts the request was rejected: with exactly exactStatus, or with any 4xx
// status when exactStatus is any4xx (0). It serves both rules of a twin (see twin).
func expectRejected(ex *mpsdclient.Exchange, exactStatus int) {
	GinkgoHelper()
	if exactStatus == any4xx {
		Expect4xx(ex)
		return
	}
	ExpectStatus(ex, exactStatus)
}

// ExpectNot asserts the response status is not unwanted (and that a response arrived).
func ExpectNot(ex *mpsdclient.Exchange, unwanted int) {
	GinkgoHelper()
	Expect(ex.Status).NotTo(Equal(unwanted), "status %d is not allowed here\n%s", unwanted, ex)
}

// ExpectSchema asserts the response body validates against the named schema.
func ExpectSchema(ex *mpsdclient.Exchange, schema string) {
	GinkgoHelper()
	err := schemas.Validate(schema, ex.Body)
	Expect(err).NotTo(HaveOccurred(), "response body does not match schema %q: %s\n%s", schema, firstLine(err), ex)
}

// firstLine is the first line of err's message ("" for nil), for one-line failure causes.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// ExpectJSON asserts the response declares Content-Type application/json and validates
// against the named schema.
func ExpectJSON(ex *mpsdclient.Exchange, schema string) {
	GinkgoHelper()
	Expect(ex.ContentType()).To(Equal("application/json"), "Content-Type %q, want application/json\n%s", ex.Header.Get("Content-Type"), ex)
	ExpectSchema(ex, schema)
}

// ExpectTextError asserts an error status with a non-empty text/plain message.
func ExpectTextError(ex *mpsdclient.Exchange, status int) {
	GinkgoHelper()
	Expect(ex.Status).To(Equal(status), "unexpected status %d, want %d\n%s", ex.Status, status, ex)
	Expect(ex.ContentType()).To(Equal("text/plain"), "error response has Content-Type %q, want text/plain\n%s", ex.Header.Get("Content-Type"), ex)
	Expect(strings.TrimSpace(string(ex.Body))).NotTo(BeEmpty(), "error response has no message\n%s", ex)
}

// ExpectHeader asserts the response carries the header and returns its value.
func ExpectHeader(ex *mpsdclient.Exchange, name string) string {
	GinkgoHelper()
	v := ex.Header.Get(name)
	Expect(v).NotTo(BeEmpty(), "response has no %s header\n%s", http.CanonicalHeaderKey(name), ex)
	return v
}

// ExpectObject decodes the response body as a JSON object.
func ExpectObject(ex *mpsdclient.Exchange) map[string]any {
	GinkgoHelper()
	m, err := ex.Object()
	Expect(err).NotTo(HaveOccurred(), "%s", ex)
	return m
}
