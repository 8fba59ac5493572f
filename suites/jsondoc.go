package suites

import (
	"encoding/json"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // Ginkgo DSL by convention
	. "github.com/onsi/gomega"    //nolint:revive // Gomega DSL by convention

	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// Helpers for reading the JSON documents the target returns. Bodies are decoded with
// UseNumber, so numbers arrive as json.Number.

// lookup returns the value at a path of nested objects and whether every key was present.
func lookup(doc map[string]any, path ...string) (any, bool) {
	var cur any = doc
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// dig returns the value at a path of nested objects, or nil.
func dig(doc map[string]any, path ...string) any {
	v, _ := lookup(doc, path...)
	return v
}

// customProps is a session PUT body that sets one custom property.
func customProps(name string, value any) map[string]any {
	return map[string]any{"properties": map[string]any{"custom": map[string]any{name: value}}}
}

// sessionChangeNumber returns a session response's changeNumber, failing the spec if absent.
func sessionChangeNumber(ex *mpsdclient.Exchange) int64 {
	GinkgoHelper()
	n, ok := ExpectObject(ex)["changeNumber"].(json.Number)
	Expect(ok).To(BeTrue(), "session has no numeric changeNumber\n%s", ex)
	v, err := n.Int64()
	Expect(err).NotTo(HaveOccurred(), "changeNumber is not an integer\n%s", ex)
	return v
}

// memberXUIDs returns the string XUIDs of a session document's members.
func memberXUIDs(doc map[string]any) []string {
	members, _ := doc["members"].(map[string]any)
	out := []string{}
	for _, m := range members {
		member, _ := m.(map[string]any)
		if x, ok := dig(member, "constants", "system", "xuid").(string); ok {
			out = append(out, x)
		}
	}
	return out
}

// jsonNumber reads a JSON number (decoded with UseNumber or as float64).
func jsonNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
