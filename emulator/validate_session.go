// validate_session.go holds the parsing of a session PUT body (by path or through a handle)
// into a sessionRequest. It is stateless: every 400 a session PUT can produce is found here.

package emulator

import (
	"strconv"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// maxMembersLimit is the largest constants.system.maxMembersCount (larger needs "large"
// sessions, which the emulator does not model).
const maxMembersLimit = 100

// validVisibility reports whether v is a session visibility.
func validVisibility(v string) bool { return v == "open" || v == "visible" || v == "private" }

// validRestriction reports whether v is a join or read restriction.
func validRestriction(v string) bool { return v == "none" || v == "local" || v == "followed" }

// memberWrite is the parsed value of members.me, members.reserve_N or members.<index>.
type memberWrite struct {
	xuid            string         // constants.system.xuid, if given
	constantsSystem map[string]any // constants.system without xuid and index
	constantsCustom map[string]any
	properties      map[string]any // {"system":..., "custom":...} delta, nil when absent
	touchesActive   bool           // properties.system.active was given
}

// reservation is one members.reserve_N entry.
type reservation struct {
	n int
	memberWrite
}

// sessionRequest is a validated MultiplayerSessionRequest.
type sessionRequest struct {
	constants  map[string]any
	properties map[string]any
	hasMe      bool
	me         *memberWrite // nil with hasMe: the caller leaves
	reserves   []reservation
	byIndex    map[int]*memberWrite // nil value: delete the member
	indexOrder []int
	servers    map[string]any
	roleTypes  map[string]any // top-level roleTypes (nil when absent)
}

// parseSessionRequest validates a session PUT body.
func (e *Emulator) parseSessionRequest(body []byte) (*sessionRequest, error) {
	m, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if err := checkKeys(m, "", e.sessionRequestKeys()...); err != nil && e.rejectsUnknownSessionKeys() {
		return nil, err
	}
	req := &sessionRequest{}
	if req.constants, err = optObject(m, "", "constants"); err != nil {
		return nil, err
	}
	if req.constants != nil {
		if err := validateConstants(req.constants); err != nil {
			return nil, err
		}
	}
	if req.properties, err = optObject(m, "", "properties"); err != nil {
		return nil, err
	}
	if req.properties != nil {
		if err := validateProperties(req.properties); err != nil {
			return nil, err
		}
	}
	members, err := optObject(m, "", "members")
	if err != nil {
		return nil, err
	}
	if err := req.parseMembers(members); err != nil {
		return nil, err
	}
	if req.servers, err = optObject(m, "", "servers"); err != nil {
		return nil, err
	}
	if req.roleTypes, err = optObject(m, "", "roleTypes"); err != nil {
		return nil, err
	}
	if err := validateServers(req.servers); err != nil {
		return nil, err
	}
	return req, nil
}

// validateServers checks that each servers.<name> is null or {constants, properties} objects.
func validateServers(servers map[string]any) error {
	for _, name := range sortedKeys(servers) {
		v := servers[name]
		if v == nil {
			continue
		}
		srv, ok := v.(map[string]any)
		if !ok {
			return badRequest("servers.%s must be an object or null, not %s", name, jsonType(v))
		}
		if err := checkKeys(srv, "servers."+name, "constants", "properties"); err != nil {
			return err
		}
		for _, k := range []string{"constants", "properties"} {
			if _, err := optObject(srv, "servers."+name, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// systemDelta checks that obj, at path, holds at most a custom and a system object, and
// returns the system one (nil when absent).
func systemDelta(obj map[string]any, path string) (map[string]any, error) {
	if err := checkKeys(obj, path, "system", "custom"); err != nil {
		return nil, err
	}
	if _, err := optObject(obj, path, "custom"); err != nil {
		return nil, err
	}
	return optObject(obj, path, "system")
}

// validateConstants checks the types of a constants delta.
func validateConstants(c map[string]any) error {
	sys, err := systemDelta(c, "constants")
	if err != nil || sys == nil {
		return err
	}
	const p = "constants.system"
	if v, ok := sys["version"]; ok && v != nil {
		if n, ok := intValue(v); !ok || n < 1 {
			return badRequest("%s.version must be a positive integer", p)
		}
	}
	if v, ok := sys["maxMembersCount"]; ok && v != nil {
		if n, ok := intValue(v); !ok || n < 1 || n > maxMembersLimit {
			return badRequest("%s.maxMembersCount must be an integer from 1 to %d", p, maxMembersLimit)
		}
	}
	if v, ok := sys["visibility"]; ok && v != nil {
		if s, ok := v.(string); !ok || !validVisibility(s) {
			return badRequest("%s.visibility must be one of open, visible, private", p)
		}
	}
	caps, err := optObject(sys, p, "capabilities")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(caps) {
		if err := checkBoolOrNull(caps, p+".capabilities", k); err != nil {
			return err
		}
	}
	if err := validateOwnershipPolicies(sys, p); err != nil {
		return err
	}
	if v, ok := sys["initiators"]; ok && v != nil && !arrayOf(v, isXUIDString) {
		return badRequest("%s.initiators must be an array of XUID strings", p)
	}
	return nil
}

// validateOwnershipPolicies checks constants.system.ownershipPolicies (p is the path of
// constants.system).
func validateOwnershipPolicies(sys map[string]any, p string) error {
	pol, err := optObject(sys, p, "ownershipPolicies")
	if err != nil {
		return err
	}
	if err := checkBoolOrNull(pol, p+".ownershipPolicies", "allowNonOwnerInviteHandles"); err != nil {
		return err
	}
	if v, ok := pol["migration"]; ok && v != nil {
		if s, ok := v.(string); !ok || (s != "oldest" && s != "endsession") {
			return badRequest("%s.ownershipPolicies.migration must be oldest or endsession", p)
		}
	}
	return nil
}

// validateProperties checks the types of a session properties delta.
func validateProperties(pr map[string]any) error {
	sys, err := systemDelta(pr, "properties")
	if err != nil || sys == nil {
		return err
	}
	const p = "properties.system"
	for _, k := range []string{"joinRestriction", "readRestriction"} {
		if v, ok := sys[k]; ok && v != nil {
			if s, ok := v.(string); !ok || !validRestriction(s) {
				return badRequest("%s.%s must be one of none, local, followed", p, k)
			}
		}
	}
	for _, k := range []string{"closed", "locked"} {
		if err := checkBoolOrNull(sys, p, k); err != nil {
			return err
		}
	}
	if err := checkStringOrNull(sys, p, "host"); err != nil {
		return err
	}
	if v, ok := sys["keywords"]; ok && v != nil && !arrayOf(v, isString) {
		return badRequest("%s.keywords must be an array of strings", p)
	}
	for _, k := range []string{"turn", "owners"} {
		if v, ok := sys[k]; ok && v != nil && !arrayOf(v, isMemberIndex) {
			return badRequest("%s.%s must be an array of member indices", p, k)
		}
	}
	return nil
}

// isXUIDString reports whether x is a decimal XUID string.
func isXUIDString(x any) bool {
	s, ok := x.(string)
	return ok && fixtures.IsDecimalUint(s, 64)
}

// isMemberIndex reports whether x is a non-negative integer.
func isMemberIndex(x any) bool {
	n, ok := intValue(x)
	return ok && n >= 0
}

// parseMembers splits the members object into me, reservations and index operations.
func (req *sessionRequest) parseMembers(members map[string]any) error {
	for _, key := range sortedKeys(members) {
		v := members[key]
		path := "members." + key
		var err error
		switch {
		case key == "me":
			err = req.parseMe(v, path)
		case strings.HasPrefix(key, "reserve_"):
			err = req.parseReservation(key[len("reserve_"):], v, path)
		case isDigits(key):
			err = req.parseIndexWrite(key, v, path)
		default:
			err = badRequest("%s: members keys are me, reserve_<n> or a member index", path)
		}
		if err != nil {
			return err
		}
	}
	// reserve_N are appended in numeric order.
	for i := 1; i < len(req.reserves); i++ {
		for j := i; j > 0 && req.reserves[j].n < req.reserves[j-1].n; j-- {
			req.reserves[j], req.reserves[j-1] = req.reserves[j-1], req.reserves[j]
		}
	}
	for i := 1; i < len(req.indexOrder); i++ {
		for j := i; j > 0 && req.indexOrder[j] < req.indexOrder[j-1]; j-- {
			req.indexOrder[j], req.indexOrder[j-1] = req.indexOrder[j-1], req.indexOrder[j]
		}
	}
	return nil
}

// parseMe parses members.me: null (the caller leaves) or the caller's member object.
func (req *sessionRequest) parseMe(v any, path string) error {
	req.hasMe = true
	mw, err := parseNullableMember(v, path)
	if err != nil {
		return err
	}
	req.me = mw
	return nil
}

// parseReservation parses members.reserve_<n> (n is the text after reserve_): constants
// naming the reserved XUID.
func (req *sessionRequest) parseReservation(n string, v any, path string) error {
	num, err := strconv.Atoi(n)
	if err != nil || !isDigits(n) {
		return badRequest("%s: reservation keys are reserve_<n>", path)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return badRequest("%s must be an object, not %s", path, jsonType(v))
	}
	if err := checkKeys(obj, path, "constants"); err != nil {
		return err
	}
	mw, err := parseMemberWrite(obj, path, false)
	if err != nil {
		return err
	}
	if mw.xuid == "" {
		return badRequest("%s.constants.system.xuid is required", path)
	}
	req.reserves = append(req.reserves, reservation{n: num, memberWrite: *mw})
	return nil
}

// parseIndexWrite parses members.<index>: null (remove the member) or a member object.
func (req *sessionRequest) parseIndexWrite(key string, v any, path string) error {
	idx, err := strconv.Atoi(key)
	if err != nil {
		return badRequest("%s: member index is out of range", path)
	}
	mw, err := parseNullableMember(v, path)
	if err != nil {
		return err
	}
	if req.byIndex == nil {
		req.byIndex = map[int]*memberWrite{}
	}
	req.byIndex[idx] = mw
	req.indexOrder = append(req.indexOrder, idx)
	return nil
}

// parseNullableMember parses a member object that may be null (nil without an error).
func parseNullableMember(v any, path string) (*memberWrite, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("%s must be an object or null, not %s", path, jsonType(v))
	}
	return parseMemberWrite(obj, path, true)
}

// parseMemberWrite validates one member object ({constants, properties}).
func parseMemberWrite(obj map[string]any, path string, allowProperties bool) (*memberWrite, error) {
	allowed := []string{"constants"}
	if allowProperties {
		allowed = append(allowed, "properties")
	}
	if err := checkKeys(obj, path, allowed...); err != nil {
		return nil, err
	}
	mw := &memberWrite{constantsSystem: map[string]any{}, constantsCustom: map[string]any{}}
	cons, err := optObject(obj, path, "constants")
	if err != nil {
		return nil, err
	}
	if cons != nil {
		if err := mw.parseConstants(cons, path+".constants"); err != nil {
			return nil, err
		}
	}
	props, err := optObject(obj, path, "properties")
	if err != nil {
		return nil, err
	}
	if props != nil {
		if err := mw.parseProperties(props, path+".properties"); err != nil {
			return nil, err
		}
	}
	return mw, nil
}

// parseConstants validates a member's constants object at cp and keeps its contents.
func (mw *memberWrite) parseConstants(cons map[string]any, cp string) error {
	if err := checkKeys(cons, cp, "system", "custom"); err != nil {
		return err
	}
	sys, err := optObject(cons, cp, "system")
	if err != nil {
		return err
	}
	custom, err := optObject(cons, cp, "custom")
	if err != nil {
		return err
	}
	if sys != nil {
		// A XUID must be a JSON string, as XSAPI always sends it; a JSON number is a 400
		// like any other wrong type (the emulator does not guess at number precision).
		x, present, err := optString(sys, cp+".system", "xuid")
		if err != nil {
			return err
		}
		if present && !fixtures.IsDecimalUint(x, 64) {
			return badRequest("%s.system.xuid %q is not a decimal XUID", cp, x)
		}
		mw.xuid = x
		if err := checkBoolOrNull(sys, cp+".system", "initialize"); err != nil {
			return err
		}
		for k, v := range sys {
			if k != "xuid" && k != "index" {
				mw.constantsSystem[k] = deepCopy(v)
			}
		}
	}
	if custom != nil {
		mw.constantsCustom = copyMap(custom)
	}
	return nil
}

// parseProperties validates a member's properties delta at pp and keeps it.
func (mw *memberWrite) parseProperties(props map[string]any, pp string) error {
	sys, err := systemDelta(props, pp)
	if err != nil {
		return err
	}
	for _, k := range []string{"active", "ready"} {
		if err := checkBoolOrNull(sys, pp+".system", k); err != nil {
			return err
		}
	}
	if boolValue(sys["active"]) && boolValue(sys["ready"]) {
		return badRequest("%s.system: active and ready cannot both be true", pp)
	}
	if err := checkStringOrNull(sys, pp+".system", "secureDeviceAddress"); err != nil {
		return err
	}
	_, mw.touchesActive = sys["active"]
	mw.properties = props
	return nil
}
