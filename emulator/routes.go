// routes.go holds the route table (every path shape, its methods and their handlers), path
// matching, and call, the authenticated request a handler receives.

package emulator

import (
	"net/http"
	"strings"

	"github.com/mpsdconf/mpsdconf/internal/xbltoken"
)

// call is one authenticated request on its way through a handler.
type call struct {
	r      *http.Request
	claims xbltoken.Claims
	cv     int      // contract version of the request
	body   []byte   // request body (PUT and POST only)
	params []string // path parameters, in order
}

// isServer reports whether the caller is a server principal.
func (c *call) isServer() bool { return c.claims.Server }

// isUser reports whether the caller is a user principal with a XUID claim.
func (c *call) isUser() bool { return !c.claims.Server && c.claims.XUID != "" }

// xuid is the caller's XUID claim (empty for a pure server principal).
func (c *call) xuid() string { return c.claims.XUID }

// handlerFunc answers one routed call.
type handlerFunc func(e *Emulator, c *call) reply

// route is one path shape and the handlers of its methods. A pattern element "{}" is a
// parameter; every other element is a literal matched case-insensitively.
type route struct {
	pattern []string
	methods map[string]handlerFunc
	allow   string
}

// routes are the resources the emulator serves (handlers_handle.go, handlers_query.go and
// handlers_session.go).
var routes = buildRoutes([]route{
	{pattern: []string{"handles"}, methods: map[string]handlerFunc{http.MethodPost: (*Emulator).postHandle}},
	{pattern: []string{"handles", "query"}, methods: map[string]handlerFunc{http.MethodPost: (*Emulator).queryHandles}},
	{pattern: []string{"handles", "{}"}, methods: map[string]handlerFunc{
		http.MethodGet:    (*Emulator).getHandle,
		http.MethodDelete: (*Emulator).deleteHandle,
	}},
	{pattern: []string{"handles", "{}", "session"}, methods: map[string]handlerFunc{
		http.MethodGet: (*Emulator).getHandleSession,
		http.MethodPut: (*Emulator).putHandleSession,
	}},
	{pattern: []string{"serviceconfigs", "{}", "sessionTemplates", "{}", "sessions", "{}"}, methods: map[string]handlerFunc{
		http.MethodGet: (*Emulator).getSession,
		http.MethodPut: (*Emulator).putSession,
	}},
})

// buildRoutes fills in each route's Allow header value.
func buildRoutes(rs []route) []route {
	order := []string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete}
	for i := range rs {
		var allow []string
		for _, m := range order {
			if _, ok := rs[i].methods[m]; ok {
				allow = append(allow, m)
			}
		}
		rs[i].allow = strings.Join(allow, ", ")
	}
	return rs
}

// match finds the route for path. It returns nil when no route has the path's shape. Literals
// are matched case-insensitively unless exactCase is set (see pathLiteralsExactCase), when
// they must be spelt as in the pattern.
func match(path string, exactCase bool) (*route, []string) {
	if !strings.HasPrefix(path, "/") {
		return nil, nil
	}
	segs := strings.Split(path[1:], "/")
	for i := range routes {
		rt := &routes[i]
		if len(rt.pattern) != len(segs) {
			continue
		}
		if params, ok := rt.matchSegments(segs, exactCase); ok {
			return rt, params
		}
	}
	return nil, nil
}

// matchSegments matches the path segments against the route's pattern of the same length
// and returns the parameters.
func (rt *route) matchSegments(segs []string, exactCase bool) ([]string, bool) {
	var params []string
	for j, p := range rt.pattern {
		switch {
		case p == "{}":
			if segs[j] == "" {
				return nil, false
			}
			params = append(params, segs[j])
		case exactCase && p != segs[j], !strings.EqualFold(p, segs[j]):
			return nil, false
		}
	}
	return params, true
}
