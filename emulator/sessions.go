package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// maxMembersLimit is the largest constants.system.maxMembersCount (larger needs "large"
// sessions, which the emulator does not model).
const maxMembersLimit = 100

// timestampLayout is RFC 3339 UTC with seven fractional digits, as the real service writes.
const timestampLayout = "2006-01-02T15:04:05.0000000Z07:00"

// timestamp formats t the way MPSD does ("2016-09-20T20:50:01.0180974Z").
func timestamp(t time.Time) string { return t.UTC().Format(timestampLayout) }

func validVisibility(v string) bool { return v == "open" || v == "visible" || v == "private" }

func validRestriction(v string) bool { return v == "none" || v == "local" || v == "followed" }

// ---------------------------------------------------------------------------------------
// Request parsing (stateless: every 400 a session PUT can produce is found here).

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
	if err := checkKeys(m, "", e.sessionRequestKeys()...); err != nil && !e.fault(faultAcceptUnknownSessionMembers) {
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
	for _, name := range sortedKeys(req.servers) {
		v := req.servers[name]
		if v == nil {
			continue
		}
		srv, ok := v.(map[string]any)
		if !ok {
			return nil, badRequest("servers.%s must be an object or null, not %s", name, jsonType(v))
		}
		if err := checkKeys(srv, "servers."+name, "constants", "properties"); err != nil {
			return nil, err
		}
		for _, k := range []string{"constants", "properties"} {
			if _, err := optObject(srv, "servers."+name, k); err != nil {
				return nil, err
			}
		}
	}
	return req, nil
}

// validateConstants checks the types of a constants delta.
func validateConstants(c map[string]any) error {
	if err := checkKeys(c, "constants", "system", "custom"); err != nil {
		return err
	}
	if _, err := optObject(c, "constants", "custom"); err != nil {
		return err
	}
	sys, err := optObject(c, "constants", "system")
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
	if caps, err := optObject(sys, p, "capabilities"); err != nil {
		return err
	} else {
		for _, k := range sortedKeys(caps) {
			if v := caps[k]; v != nil {
				if _, ok := v.(bool); !ok {
					return badRequest("%s.capabilities.%s must be a boolean, not %s", p, k, jsonType(v))
				}
			}
		}
	}
	pol, err := optObject(sys, p, "ownershipPolicies")
	if err != nil {
		return err
	}
	if v, ok := pol["allowNonOwnerInviteHandles"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			return badRequest("%s.ownershipPolicies.allowNonOwnerInviteHandles must be a boolean, not %s", p, jsonType(v))
		}
	}
	if v, ok := pol["migration"]; ok && v != nil {
		if s, ok := v.(string); !ok || (s != "oldest" && s != "endsession") {
			return badRequest("%s.ownershipPolicies.migration must be oldest or endsession", p)
		}
	}
	if v, ok := sys["initiators"]; ok && v != nil {
		arr, ok := v.([]any)
		if !ok {
			return badRequest("%s.initiators must be an array of XUID strings", p)
		}
		for _, x := range arr {
			if s, ok := x.(string); !ok || !fixtures.IsDecimalUint(s, 64) {
				return badRequest("%s.initiators must be an array of XUID strings", p)
			}
		}
	}
	return nil
}

// validateProperties checks the types of a session properties delta.
func validateProperties(pr map[string]any) error {
	if err := checkKeys(pr, "properties", "system", "custom"); err != nil {
		return err
	}
	if _, err := optObject(pr, "properties", "custom"); err != nil {
		return err
	}
	sys, err := optObject(pr, "properties", "system")
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
		if v, ok := sys[k]; ok && v != nil {
			if _, ok := v.(bool); !ok {
				return badRequest("%s.%s must be a boolean, not %s", p, k, jsonType(v))
			}
		}
	}
	if v, ok := sys["host"]; ok && v != nil {
		if _, ok := v.(string); !ok {
			return badRequest("%s.host must be a string, not %s", p, jsonType(v))
		}
	}
	if v, ok := sys["keywords"]; ok && v != nil {
		arr, ok := v.([]any)
		if !ok {
			return badRequest("%s.keywords must be an array of strings", p)
		}
		for _, x := range arr {
			if _, ok := x.(string); !ok {
				return badRequest("%s.keywords must be an array of strings", p)
			}
		}
	}
	for _, k := range []string{"turn", "owners"} {
		if v, ok := sys[k]; ok && v != nil {
			arr, ok := v.([]any)
			if !ok {
				return badRequest("%s.%s must be an array of member indices", p, k)
			}
			for _, x := range arr {
				if n, ok := intValue(x); !ok || n < 0 {
					return badRequest("%s.%s must be an array of member indices", p, k)
				}
			}
		}
	}
	return nil
}

// parseMembers splits the members object into me, reservations and index operations.
func (req *sessionRequest) parseMembers(members map[string]any) error {
	for _, key := range sortedKeys(members) {
		v := members[key]
		path := "members." + key
		switch {
		case key == "me":
			req.hasMe = true
			if v == nil {
				continue
			}
			obj, ok := v.(map[string]any)
			if !ok {
				return badRequest("%s must be an object or null, not %s", path, jsonType(v))
			}
			mw, err := parseMemberWrite(obj, path, true)
			if err != nil {
				return err
			}
			req.me = mw
		case strings.HasPrefix(key, "reserve_"):
			n, err := strconv.Atoi(key[len("reserve_"):])
			if err != nil || !isDigits(key[len("reserve_"):]) {
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
			req.reserves = append(req.reserves, reservation{n: n, memberWrite: *mw})
		case isDigits(key):
			idx, err := strconv.Atoi(key)
			if err != nil {
				return badRequest("%s: member index is out of range", path)
			}
			if req.byIndex == nil {
				req.byIndex = map[int]*memberWrite{}
			}
			if v == nil {
				req.byIndex[idx] = nil
			} else {
				obj, ok := v.(map[string]any)
				if !ok {
					return badRequest("%s must be an object or null, not %s", path, jsonType(v))
				}
				mw, err := parseMemberWrite(obj, path, true)
				if err != nil {
					return err
				}
				req.byIndex[idx] = mw
			}
			req.indexOrder = append(req.indexOrder, idx)
		default:
			return badRequest("%s: members keys are me, reserve_<n> or a member index", path)
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
		cp := path + ".constants"
		if err := checkKeys(cons, cp, "system", "custom"); err != nil {
			return nil, err
		}
		sys, err := optObject(cons, cp, "system")
		if err != nil {
			return nil, err
		}
		custom, err := optObject(cons, cp, "custom")
		if err != nil {
			return nil, err
		}
		if sys != nil {
			// A XUID must be a JSON string, as XSAPI always sends it; a JSON number is a 400
			// like any other wrong type (the emulator does not guess at number precision).
			x, present, err := optString(sys, cp+".system", "xuid")
			if err != nil {
				return nil, err
			}
			if present && !fixtures.IsDecimalUint(x, 64) {
				return nil, badRequest("%s.system.xuid %q is not a decimal XUID", cp, x)
			}
			mw.xuid = x
			if v, ok := sys["initialize"]; ok && v != nil {
				if _, ok := v.(bool); !ok {
					return nil, badRequest("%s.system.initialize must be a boolean, not %s", cp, jsonType(v))
				}
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
	}
	props, err := optObject(obj, path, "properties")
	if err != nil {
		return nil, err
	}
	if props != nil {
		pp := path + ".properties"
		if err := checkKeys(props, pp, "system", "custom"); err != nil {
			return nil, err
		}
		if _, err := optObject(props, pp, "custom"); err != nil {
			return nil, err
		}
		sys, err := optObject(props, pp, "system")
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"active", "ready"} {
			if v, ok := sys[k]; ok && v != nil {
				if _, ok := v.(bool); !ok {
					return nil, badRequest("%s.system.%s must be a boolean, not %s", pp, k, jsonType(v))
				}
			}
		}
		if boolValue(sys["active"]) && boolValue(sys["ready"]) {
			return nil, badRequest("%s.system: active and ready cannot both be true", pp)
		}
		if v, ok := sys["secureDeviceAddress"]; ok && v != nil {
			if _, ok := v.(string); !ok {
				return nil, badRequest("%s.system.secureDeviceAddress must be a string, not %s", pp, jsonType(v))
			}
		}
		_, mw.touchesActive = sys["active"]
		mw.properties = props
	}
	return mw, nil
}

// ---------------------------------------------------------------------------------------
// Handlers.

// pathRef resolves the session path parameters, checking SCID, template and name.
func (e *Emulator) pathRef(c *call) (sessionRef, error) {
	ref := sessionRef{scid: c.params[0], template: c.params[1], name: c.params[2]}
	if _, err := e.lookupTemplate(ref.scid, ref.template); err != nil {
		return ref, err
	}
	if !fixtures.IsSessionName(ref.name) {
		return ref, badRequest("session name %q is invalid: use 1 to 99 characters from A-Z a-z 0-9 . _ -", ref.name)
	}
	return ref, nil
}

// lookupTemplate finds a configured template; unknown SCIDs and templates are 404s.
func (e *Emulator) lookupTemplate(scid, template string) (Template, error) {
	sc := e.scids[strings.ToLower(scid)]
	if sc == nil {
		return Template{}, notFound("the requested service config %q is either invalid or not configured for sessions", scid)
	}
	t, ok := sc.templates[strings.ToLower(template)]
	if !ok {
		return Template{}, notFound("session template %q does not exist in service config %s", template, scid)
	}
	return t, nil
}

// getSession is GET /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}.
func (e *Emulator) getSession(c *call) reply {
	ref, err := e.pathRef(c)
	if err != nil {
		if ae, ok := err.(*apiError); ok && ae.status == http.StatusNotFound && e.fault(faultSessionGetUnknownTemplate204) {
			return emptyReply(http.StatusNoContent)
		}
		return errorReply(err)
	}
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	if e.fault(faultMissingSession404) && e.store.sessions[ref.key()] == nil {
		return errorReply(notFound("session %s does not exist", ref.name))
	}
	rp := e.readSession(c, ref, nil)
	if tag := rp.header.Get("ETag"); tag != "" && e.fault(faultSessionGetWeakETag) {
		rp.header.Set("ETag", "W/"+tag)
	}
	return rp
}

// putSession is PUT /serviceconfigs/{scid}/sessionTemplates/{template}/sessions/{name}.
func (e *Emulator) putSession(c *call) reply {
	ref, err := e.pathRef(c)
	if err != nil {
		if ae, ok := err.(*apiError); ok && ae.status == http.StatusNotFound && e.fault(faultSessionPutUnknownTemplate400) {
			return errorReply(badRequest("%v", err))
		}
		return errorReply(err)
	}
	req, perr := e.parseSessionRequest(c.body)
	e.store.mu.Lock()
	defer e.store.mu.Unlock()
	return e.writeSession(c, ref, nil, req, perr)
}

// readSession answers a session read (by path or through handle via). Lock held.
func (e *Emulator) readSession(c *call, ref sessionRef, via *handle) reply {
	s := e.store.sessions[ref.key()]
	if s == nil {
		return emptyReply(http.StatusNoContent)
	}
	if !canRead(s, c, via) {
		return errorReply(forbidden("session %s is private; only its members, reserved users and servers may read it", s.ref.name))
	}
	if inm := strings.TrimSpace(c.r.Header.Get("If-None-Match")); inm != "" && (inm == "*" || etagMatch(inm, s.etag())) {
		return emptyReply(http.StatusNotModified).with("ETag", s.etag()).with("Content-Location", e.sessionLocation(s))
	}
	return e.sessionReply(http.StatusOK, s, c)
}

// sessionReply renders s for the caller's contract version with its ETag and
// Content-Location.
func (e *Emulator) sessionReply(status int, s *session, c *call) reply {
	cache := cacheRevalidate
	if status == http.StatusPreconditionFailed {
		cache = cacheNoStore
	}
	doc := e.extend(s.render(e.documentContractVersion(c.cv)))
	if e.fault(faultSessionWithoutCorrelationID) {
		delete(doc, "correlationId")
	}
	return jsonReply(status, doc).
		with("ETag", s.etag()).
		with("Content-Location", e.sessionLocation(s)).
		with("Cache-Control", cache)
}

// canRead reports whether the caller may read s: servers always; anyone unless private;
// otherwise members, reserved users and the invitee of the invite handle used.
func canRead(s *session, c *call, via *handle) bool {
	if c.isServer() || s.visibility() != "private" {
		return true
	}
	if s.findMember(c.xuid()) != nil {
		return true
	}
	return via != nil && via.typ == handleInvite && c.xuid() != "" && via.invited == c.xuid()
}

// etagMatch reports whether the If-Match/If-None-Match list holds etag (verbatim, strong).
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == etag {
			return true
		}
	}
	return false
}

// writeSession applies a session PUT (by path, or through handle via). Lock held.
func (e *Emulator) writeSession(c *call, ref sessionRef, via *handle, req *sessionRequest, perr error) reply {
	if perr != nil {
		return errorReply(perr)
	}
	tmpl, err := e.lookupTemplate(ref.scid, ref.template)
	if err != nil {
		return errorReply(err)
	}
	key := ref.key()
	cur := e.store.sessions[key]
	if cur != nil && !canRead(cur, c, via) {
		return errorReply(forbidden("session %s is private; only its members, reserved users and servers may access it", cur.ref.name))
	}
	ignoreINM := (via == nil && e.fault(faultIgnoreIfNoneMatch)) || (via != nil && e.fault(faultHandlePutIgnoresIfNoneMatch))
	if inm := strings.TrimSpace(c.r.Header.Get("If-None-Match")); inm != "" && cur != nil && !ignoreINM {
		if inm == "*" || etagMatch(inm, cur.etag()) {
			return emptyReply(http.StatusPreconditionFailed)
		}
	}
	ignoreIM := (via == nil && e.fault(faultIgnoreIfMatch)) || (via != nil && e.fault(faultHandlePutIgnoresIfMatch))
	if im := strings.TrimSpace(c.r.Header.Get("If-Match")); im != "" && !ignoreIM {
		if cur == nil {
			return emptyReply(http.StatusPreconditionFailed)
		}
		if e.ifMatchFails(im, cur, via) {
			return e.sessionReply(http.StatusPreconditionFailed, cur, c)
		}
	}
	now := e.now()
	if cur == nil {
		s := newSession(ref, tmpl, req, now)
		if _, err := e.applyWrite(s, req, c, via, true, now); err != nil {
			return errorReply(err)
		}
		if len(s.members) == 0 && !e.fault(faultStoreEmptySession) {
			// sessionEmptyTimeout is 0: a session with no members is never stored.
			return emptyReply(http.StatusNoContent)
		}
		s.changeNumber = 1
		e.store.sessions[key] = s
		rp := e.sessionReply(http.StatusCreated, s, c)
		if e.fault(faultSessionCreateWithoutETag) {
			rp.header.Del("ETag")
		}
		return rp
	}
	if via != nil && via.typ == handleInvite && !c.isServer() {
		if cur.closed() && !e.fault(faultClosedSessionWritableByInvite) {
			return errorReply(forbidden("session is closed; invite grants read-only access"))
		}
		if e.fault(faultInviteGrantsReadOnly) && cur.findMember(c.xuid()) == nil {
			return errorReply(forbidden("an invite grants read-only access to session %s", cur.ref.name))
		}
	}
	if req.constants != nil {
		rendered, _ := cur.render(c.cv)["constants"].(map[string]any)
		if !subsetOf(req.constants, rendered) {
			return errorReply(errorf(http.StatusConflict, "constants can only be set when the session is created; the request conflicts with the session's constants"))
		}
	}
	s := cur.clone()
	drop, err := e.applyWrite(s, req, c, via, false, now)
	if err != nil {
		return errorReply(err)
	}
	if len(s.members) == 0 {
		delete(e.store.sessions, key)
		if e.removesLeftActivities() {
			e.store.removeSessionActivities(key)
			for _, id := range drop {
				e.store.removeHandle(id)
			}
		}
		return e.emptiedSessionReply(c, via, s)
	}
	if !e.fault(faultSessionUpdateKeepsChangeNumber) {
		s.changeNumber++
	}
	e.store.sessions[key] = s
	if e.removesLeftActivities() {
		for _, id := range drop {
			e.store.removeHandle(id)
		}
	}
	return e.sessionReply(http.StatusOK, s, c)
}

// newSession builds a session from the template and the request's constants.
func newSession(ref sessionRef, tmpl Template, req *sessionRequest, now time.Time) *session {
	s := &session{
		ref:           ref,
		branch:        uuid.NewString(),
		correlationID: uuid.NewString(),
		startTime:     now,
		constants: map[string]any{
			"system": map[string]any{"version": 1, "maxMembersCount": tmpl.MaxMembersCount, "visibility": tmpl.Visibility},
			"custom": map[string]any{},
		},
		properties: map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		members:    map[int]*member{},
		servers:    map[string]any{},
	}
	if req.constants != nil {
		mergeInto(s.constants, req.constants)
	}
	sys := s.constantsSystem()
	subObject(s.constants, "custom")
	if _, ok := sys["version"]; !ok {
		sys["version"] = 1
	}
	if _, ok := sys["maxMembersCount"]; !ok {
		sys["maxMembersCount"] = tmpl.MaxMembersCount
	}
	if _, ok := sys["visibility"]; !ok {
		sys["visibility"] = tmpl.Visibility
	}
	return s
}

// subsetOf reports whether every value in req equals the one in cur (objects recursively);
// null in req matches a missing key.
func subsetOf(req, cur map[string]any) bool {
	for k, v := range req {
		switch rv := v.(type) {
		case nil:
			if _, ok := cur[k]; ok {
				return false
			}
		case map[string]any:
			cm, _ := cur[k].(map[string]any)
			if !subsetOf(rv, cm) {
				return false
			}
		default:
			if !jsonEqual(v, cur[k]) {
				return false
			}
		}
	}
	return true
}

// applyWrite applies a validated request to s (a fresh or cloned session). It returns the
// ids of activity handles that must be deleted once the write is committed.
func (e *Emulator) applyWrite(s *session, req *sessionRequest, c *call, via *handle, creating bool, now time.Time) ([]string, error) {
	user := c.isUser()
	if req.servers != nil && !c.isServer() {
		return nil, forbidden("servers can only be written by a server principal")
	}
	if req.hasMe && !user {
		return nil, forbidden("members.me needs a user principal with a XUID claim")
	}
	// members.me is the caller, whatever constants.system.xuid it names (clients in
	// production send another user's): the given xuid is ignored.
	if err := e.meXUIDCheck(req, c); err != nil {
		return nil, err
	}
	if len(req.indexOrder) > 0 && !c.isServer() {
		return nil, forbidden("members can only be changed by index by a server principal")
	}
	var caller *member
	if user {
		caller = s.findMember(c.xuid())
	}
	if !creating && !c.isServer() && caller == nil {
		joining := req.me != nil
		onlyLeave := req.hasMe && req.me == nil && req.properties == nil && req.constants == nil && len(req.reserves) == 0
		switch {
		case onlyLeave:
			// leaving a session one is not in changes nothing
		case !joining:
			return nil, forbidden("only members of the session may write it; join with members.me")
		case s.visibility() != "open" && !inviteGrant(c, via):
			return nil, forbidden("session is %s; only members and reserved users may join", s.visibility())
		}
	}
	if req.properties != nil {
		if sys, ok := req.properties["system"].(map[string]any); ok {
			if _, touches := sys["owners"]; touches {
				if !s.hasOwners() {
					return nil, badRequest("properties.system.owners needs constants.system.capabilities.hasOwners")
				}
				if !creating && !c.isServer() && !s.isOwner(c.xuid()) {
					return nil, forbidden("only owners may change properties.system.owners")
				}
			}
		}
		mergeInto(s.properties, req.properties)
		subObject(s.properties, "system")
		subObject(s.properties, "custom")
	}
	var drop []string
	if req.hasMe {
		if req.me == nil {
			if caller != nil {
				drop = append(drop, s.removeMember(caller)...)
				caller = nil
			}
		} else {
			wasActive := caller != nil && caller.active()
			var err error
			if caller, err = s.writeMe(caller, req.me, c, now); err != nil {
				return nil, err
			}
			if id := caller.activity; id != "" && !caller.active() && (wasActive || req.me.touchesActive) {
				caller.activity = ""
				drop = append(drop, id)
			}
		}
	}
	for _, r := range req.reserves {
		if s.findMember(r.xuid) != nil {
			continue
		}
		if len(s.members) >= s.maxMembers() {
			return nil, forbidden("session is full (maxMembersCount %d)", s.maxMembers())
		}
		m := s.addMember(r.xuid, now)
		m.reserved = true
		mergeInto(m.constantsSystem, r.constantsSystem)
		mergeInto(m.constantsCustom, r.constantsCustom)
	}
	for _, idx := range req.indexOrder {
		mw := req.byIndex[idx]
		m := s.members[idx]
		if mw == nil {
			if m != nil {
				drop = append(drop, s.removeMember(m)...)
			}
			continue
		}
		if m == nil {
			return nil, badRequest("members.%d: there is no member with that index", idx)
		}
		if mw.properties != nil {
			mergeInto(m.properties, mw.properties)
		}
	}
	for _, name := range sortedKeys(req.servers) {
		if v, _ := req.servers[name].(map[string]any); v != nil {
			mergeInto(subObject(s.servers, name), v)
		} else {
			delete(s.servers, name)
		}
	}
	if req.roleTypes != nil {
		if s.roleTypes == nil {
			s.roleTypes = map[string]any{}
		}
		mergeInto(s.roleTypes, req.roleTypes)
	}
	if creating && s.hasOwners() {
		if caller != nil && !caller.reserved {
			s.setOwners([]int{caller.index})
		} else if _, ok := s.propertiesSystem()["owners"]; !ok {
			s.setOwners(nil)
		}
	}
	for _, i := range s.owners() {
		if m := s.members[i]; m == nil || m.reserved {
			return nil, badRequest("properties.system.owners: %d is not the index of an accepted member", i)
		}
	}
	return drop, nil
}

// inviteGrant reports whether the caller is the invitee of the invite handle used.
func inviteGrant(c *call, via *handle) bool {
	return via != nil && via.typ == handleInvite && c.isUser() && via.invited == c.xuid()
}

// writeMe applies members.me for the caller, adding them when they are not a member yet.
func (s *session) writeMe(caller *member, mw *memberWrite, c *call, now time.Time) (*member, error) {
	switch {
	case caller == nil:
		if len(s.members) >= s.maxMembers() {
			return nil, forbidden("session is full (maxMembersCount %d)", s.maxMembers())
		}
		caller = s.addMember(c.xuid(), now)
		mergeInto(caller.constantsSystem, mw.constantsSystem)
		mergeInto(caller.constantsCustom, mw.constantsCustom)
	case caller.reserved:
		caller.reserved = false
		caller.joinTime = now
		mergeInto(caller.constantsSystem, mw.constantsSystem)
		mergeInto(caller.constantsCustom, mw.constantsCustom)
	}
	caller.gamertag = c.claims.Gamertag
	if mw.properties != nil {
		sys, _ := mw.properties["system"].(map[string]any)
		mergeInto(caller.properties, mw.properties)
		msys := subObject(caller.properties, "system")
		subObject(caller.properties, "custom")
		// active and ready are mutually exclusive: setting one clears the other.
		if boolValue(sys["active"]) {
			delete(msys, "ready")
		}
		if boolValue(sys["ready"]) {
			delete(msys, "active")
		}
	}
	if caller.active() {
		caller.activeTitleID = c.claims.TitleID
	}
	return caller, nil
}

// addMember appends a member record with the next index.
func (s *session) addMember(xuid string, now time.Time) *member {
	m := &member{
		index:           s.nextIndex,
		xuid:            xuid,
		constantsSystem: map[string]any{},
		constantsCustom: map[string]any{},
		properties:      map[string]any{"system": map[string]any{}, "custom": map[string]any{}},
		joinTime:        now,
	}
	s.members[m.index] = m
	s.nextIndex++
	return m
}

// removeMember deletes a member, returning their bound activity handle (to delete) and
// maintaining properties.system.owners (migration "oldest" promotes the oldest member).
func (s *session) removeMember(m *member) []string {
	delete(s.members, m.index)
	var drop []string
	if m.activity != "" {
		drop = append(drop, m.activity)
	}
	if s.hasOwners() {
		var owners []int
		for _, i := range s.owners() {
			if i != m.index {
				owners = append(owners, i)
			}
		}
		pol, _ := s.constantsSystem()["ownershipPolicies"].(map[string]any)
		if len(owners) == 0 && pol["migration"] == "oldest" {
			for _, i := range s.indices() {
				if !s.members[i].reserved {
					owners = []int{i}
					break
				}
			}
		}
		s.setOwners(owners)
	}
	return drop
}

// ---------------------------------------------------------------------------------------
// Rendering.

// render returns the MultiplayerSession document for contract version cv.
func (s *session) render(cv int) map[string]any {
	constants := copyMap(s.constants)
	csys := subObject(constants, "system")
	subObject(constants, "custom")
	addTimeoutDefaults(csys, cv)
	props := copyMap(s.properties)
	psys := subObject(props, "system")
	subObject(props, "custom")
	for k, v := range map[string]any{"joinRestriction": "none", "readRestriction": "none", "turn": []any{}} {
		if _, ok := psys[k]; !ok {
			psys[k] = v
		}
	}
	idx := s.indices()
	members := make(map[string]any, len(idx))
	accepted, active := 0, 0
	for i, ix := range idx {
		m := s.members[ix]
		next := s.nextIndex
		if i+1 < len(idx) {
			next = idx[i+1]
		}
		members[strconv.Itoa(ix)] = m.render(next)
		if !m.reserved {
			accepted++
			if m.active() {
				active++
			}
		}
	}
	first := s.nextIndex
	if len(idx) > 0 {
		first = idx[0]
	}
	doc := map[string]any{
		"membersInfo": map[string]any{
			"first": first, "next": s.nextIndex, "count": len(idx), "accepted": accepted, "active": active,
		},
		"constants":       constants,
		"properties":      props,
		"servers":         copyMap(s.servers),
		"members":         members,
		"correlationId":   s.correlationID,
		"contractVersion": cv,
		"branch":          s.branch,
		"changeNumber":    s.changeNumber,
		"startTime":       timestamp(s.startTime),
	}
	if s.searchHandle != "" {
		doc["searchHandle"] = s.searchHandle
	}
	if len(s.roleTypes) > 0 {
		doc["roleTypes"] = copyMap(s.roleTypes)
	}
	return doc
}

// addTimeoutDefaults adds the default timeouts in the shape of the contract version: 107
// uses top-level *RemovalTimeout/sessionEmptyTimeout, 104/105 a "timeouts" object.
func addTimeoutDefaults(sys map[string]any, cv int) {
	if cv >= 107 {
		if _, ok := sys["timeouts"]; ok {
			return
		}
		for k, v := range map[string]any{
			"reservedRemovalTimeout": 30000, "inactiveRemovalTimeout": 0,
			"readyRemovalTimeout": 180000, "sessionEmptyTimeout": 0,
		} {
			if _, ok := sys[k]; !ok {
				sys[k] = v
			}
		}
		return
	}
	for _, k := range []string{"reservedRemovalTimeout", "inactiveRemovalTimeout", "readyRemovalTimeout", "sessionEmptyTimeout"} {
		if _, ok := sys[k]; ok {
			return
		}
	}
	if _, ok := sys["timeouts"]; !ok {
		sys["timeouts"] = map[string]any{"reserved": 30000, "inactive": 0, "ready": 180000, "sessionEmpty": 0}
	}
}

// render returns the member document; next is the index of the following member.
func (m *member) render(next int) map[string]any {
	csys := copyMap(m.constantsSystem)
	csys["xuid"] = m.xuid
	csys["index"] = m.index
	props := copyMap(m.properties)
	subObject(props, "system")
	subObject(props, "custom")
	d := map[string]any{
		"next":       next,
		"joinTime":   timestamp(m.joinTime),
		"constants":  map[string]any{"system": csys, "custom": copyMap(m.constantsCustom)},
		"properties": props,
	}
	if m.reserved {
		d["reserved"] = true
		return d
	}
	if m.gamertag != "" {
		d["gamertag"] = m.gamertag
	}
	if m.active() && m.activeTitleID != "" {
		d["activeTitleId"] = m.activeTitleID
	}
	return d
}
