package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// Handle types.
const (
	handleActivity = "activity"
	handleInvite   = "invite"
	handleTransfer = "transfer"
	handleSearch   = "search"
)

// maxInviteContext is the longest inviteAttributes.context once URI-encoded.
const maxInviteContext = 256

func isGUID(s string) bool { return fixtures.IsGUID(s) }

// parseRef validates a MultiplayerSessionReference field of a request body. scid and
// templateName are required; a missing name is filled in with a generated one when fillName
// is set (the service does so for sessionRef), otherwise it is required too.
func parseRef(m map[string]any, key string, fillName bool) (sessionRef, error) {
	obj, err := reqObject(m, "", key)
	if err != nil {
		return sessionRef{}, err
	}
	scid, err := reqString(obj, key, "scid")
	if err != nil {
		return sessionRef{}, err
	}
	if !isGUID(scid) {
		return sessionRef{}, badRequest("%s.scid %q is not a GUID", key, scid)
	}
	tmpl, err := reqString(obj, key, "templateName")
	if err != nil {
		return sessionRef{}, err
	}
	if !fixtures.IsSessionName(tmpl) {
		return sessionRef{}, badRequest("%s.templateName %q is invalid: use 1 to 99 characters from A-Z a-z 0-9 . _ -", key, tmpl)
	}
	if _, given := obj["name"]; !given && fillName {
		return sessionRef{scid: scid, template: tmpl, name: generatedSessionName()}, nil
	}
	name, err := reqString(obj, key, "name")
	if err != nil {
		return sessionRef{}, err
	}
	if !fixtures.IsSessionName(name) {
		return sessionRef{}, badRequest("%s.name %q is invalid: use 1 to 99 characters from A-Z a-z 0-9 . _ -", key, name)
	}
	return sessionRef{scid: scid, template: tmpl, name: name}, nil
}

// parsedHandle is a validated POST /handles body.
type parsedHandle struct {
	typ     string
	ref     sessionRef
	origin  sessionRef // transfer
	invited string     // invite
	doc     map[string]any
}

// parseHandleRequest validates a POST /handles body; every 400 is found here. When an invite's
// own fields are invalid, the partly parsed handle is returned with the error.
func (e *Emulator) parseHandleRequest(body []byte) (*parsedHandle, error) {
	m, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	v, ok := m["version"]
	if !ok {
		return nil, badRequest("version is required (the number 1)")
	}
	if n, ok := v.(json.Number); !ok || string(n) != "1" {
		return nil, badRequest("version must be the number 1")
	}
	typ, err := reqString(m, "", "type")
	if err != nil {
		return nil, err
	}
	switch typ {
	case handleActivity, handleInvite, handleTransfer, handleSearch:
	default:
		return nil, badRequest("type %q is not a handle type (activity, invite, transfer, search)", typ)
	}
	ref, err := parseRef(m, "sessionRef", e.fillsMissingSessionName())
	if err != nil {
		return nil, err
	}
	p := &parsedHandle{typ: typ, ref: ref, doc: map[string]any{"version": 1, "type": typ, "sessionRef": ref.doc()}}
	switch typ {
	case handleInvite:
		if err := p.parseInvite(m, e.inviteContextLimit()); err != nil {
			return p, err
		}
	case handleTransfer:
		if _, ok := m["originSessionRef"]; !ok && e.fault(faultTransferOriginOptional) {
			break
		}
		if p.origin, err = parseRef(m, "originSessionRef", false); err != nil {
			return nil, err
		}
		p.doc["originSessionRef"] = p.origin.doc()
	case handleSearch:
		sa, err := optObject(m, "", "searchAttributes")
		if err != nil {
			return nil, err
		}
		if sa != nil {
			if err := validateSearchAttributes(sa); err != nil {
				return nil, err
			}
			if !e.fault(faultSearchDropsAttributes) {
				p.doc["searchAttributes"] = copyMap(sa)
			}
		}
	}
	return p, nil
}

// parseInvite validates invitedXuid and inviteAttributes; contextLimit is the longest
// inviteAttributes.context once URI-encoded.
func (p *parsedHandle) parseInvite(m map[string]any, contextLimit int) error {
	invited, err := reqString(m, "", "invitedXuid")
	if err != nil {
		return err
	}
	if !fixtures.IsDecimalUint(invited, 64) {
		return badRequest("invitedXuid %q is not a decimal XUID", invited)
	}
	attrs, err := reqObject(m, "", "inviteAttributes")
	if err != nil {
		return err
	}
	const ap = "inviteAttributes"
	title, err := reqString(attrs, ap, "titleId")
	if err != nil {
		return err
	}
	if !fixtures.IsDecimalUint(title, 32) {
		return badRequest("inviteAttributes.titleId %q is not a decimal uint32 title id", title)
	}
	out := map[string]any{"titleId": title}
	for _, k := range []string{"context", "contextString", "senderString"} {
		s, present, err := optString(attrs, ap, k)
		if err != nil {
			return err
		}
		if present {
			out[k] = s
		}
	}
	if ctx, ok := out["context"].(string); ok {
		if n := len(url.QueryEscape(ctx)); n > contextLimit {
			return badRequest("inviteAttributes.context is %d characters once URI-encoded; at most %d are allowed", n, contextLimit)
		}
	}
	p.invited = invited
	p.doc["invitedXuid"] = invited
	p.doc["inviteAttributes"] = out
	return nil
}

// validateSearchAttributes checks {tags:[string], strings:{string}, numbers:{number}}.
func validateSearchAttributes(sa map[string]any) error {
	const p = "searchAttributes"
	if err := checkKeys(sa, p, "tags", "strings", "numbers"); err != nil {
		return err
	}
	if v, ok := sa["tags"]; ok {
		arr, ok := v.([]any)
		if !ok {
			return badRequest("%s.tags must be an array of strings", p)
		}
		for _, t := range arr {
			if _, ok := t.(string); !ok {
				return badRequest("%s.tags must be an array of strings", p)
			}
		}
	}
	strs, err := optObject(sa, p, "strings")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(strs) {
		if _, ok := strs[k].(string); !ok {
			return badRequest("%s.strings.%s must be a string", p, k)
		}
	}
	nums, err := optObject(sa, p, "numbers")
	if err != nil {
		return err
	}
	for _, k := range sortedKeys(nums) {
		if _, ok := nums[k].(json.Number); !ok {
			return badRequest("%s.numbers.%s must be a number", p, k)
		}
	}
	return nil
}

// postHandle is POST /handles.
func (e *Emulator) postHandle(c *call) reply {
	p, err := e.parseHandleRequest(c.body)
	if err != nil {
		if e.fault(faultMalformedJSON500) && !json.Valid(c.body) {
			return errorReply(fmt.Errorf("decode handle request: %v", err))
		}
		if e.fault(faultInvalidInvite422) && p != nil && p.typ == handleInvite {
			return errorReply(errorf(http.StatusUnprocessableEntity, "%v", err))
		}
		return errorReply(err)
	}
	if _, err := e.lookupTemplate(p.ref.scid, p.ref.template); err != nil && !e.fault(faultHandlesSkipTemplateCheck) {
		return errorReply(err)
	}
	if p.typ == handleTransfer && p.origin.scid != "" {
		if _, err := e.lookupTemplate(p.origin.scid, p.origin.template); err != nil {
			return errorReply(err)
		}
	}
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.sessions[p.ref.key()]
	var owner *member
	switch p.typ {
	case handleActivity:
		if !c.isUser() {
			return errorReply(forbidden("server principals cannot own activities; an activity handle needs a user principal"))
		}
		if s != nil {
			owner = s.findMember(c.xuid())
		}
		if owner == nil || owner.reserved {
			if e.fault(faultActivitySkipsMembershipCheck) {
				owner = nil
				break
			}
			status := e.nonMemberActivityStatus()
			if s == nil {
				return errorReply(errorf(status, "session %s does not exist; the caller must be a member of the session to set an activity", p.ref.name))
			}
			return errorReply(errorf(status, "the caller is not a member of session %s; join it before setting an activity", p.ref.name))
		}
	case handleInvite:
		if err := e.inviteRefusal(c, p.ref, s); err != nil {
			return errorReply(err)
		}
	}
	now := e.now()
	h := &handle{
		id:      uuid.NewString(),
		seq:     st.nextSeq(),
		typ:     p.typ,
		ref:     p.ref,
		creator: c.xuid(),
		doc:     p.doc,
	}
	switch p.typ {
	case handleActivity:
		h.titleID = c.claims.TitleID
		if !e.fault(faultSkipActivityReplacement) {
			perSession := e.fault(faultActivityReplacementPerSession)
			for _, old := range st.sortedHandles() {
				if old.typ == handleActivity && old.creator == h.creator && old.titleID == h.titleID &&
					strings.EqualFold(old.ref.scid, h.ref.scid) && (!perSession || old.ref.key() == h.ref.key()) {
					st.removeHandle(old.id)
				}
			}
			if owner != nil && owner.activity != "" {
				st.removeHandle(owner.activity)
			}
		}
		if owner != nil { // nil only with the activity-skips-membership-check fault
			owner.activity = h.id
		}
		h.doc["titleId"] = h.titleID
		h.doc["ownerXuid"] = h.creator
		if s != nil {
			if ip, ok := s.constantsSystem()["inviteProtocol"].(string); ok {
				h.doc["inviteProtocol"] = ip
			}
		}
	case handleInvite:
		h.invited = p.invited
		h.expires = now.Add(e.inviteLifetime)
		if c.xuid() != "" {
			h.doc["senderXuid"] = c.xuid()
		}
		h.doc["expiration"] = timestamp(h.expires)
	case handleTransfer:
		if e.fault(faultTransferDropsOrigin) {
			delete(h.doc, "originSessionRef")
		}
	case handleSearch:
		for _, old := range st.sortedHandles() {
			if old.typ == handleSearch && old.ref.key() == h.ref.key() {
				st.removeHandle(old.id)
			}
		}
		if s != nil {
			s.searchHandle = h.id
		}
	}
	h.doc["id"] = h.id
	if !(h.typ == handleActivity && e.fault(faultActivityWithoutCreateTime)) {
		h.doc["createTime"] = timestamp(now)
	}
	if h.typ == handleInvite {
		e.trimInviteDocument(h.doc)
	}
	if err := h.seal(); err != nil {
		return errorReply(err)
	}
	st.handles[h.id] = h
	if s != nil && !e.fault(faultNoChangeNumberBump) {
		s.changeNumber++
	}
	body, err := e.handleJSON(h)
	if err != nil {
		return errorReply(err)
	}
	rp := rawJSONReply(e.handleCreatedStatus(h, s), body).with("Cache-Control", cacheNoStore)
	loc, contentLoc := e.createdHandleLocations(c, h)
	if loc != "" {
		rp = rp.with("Location", loc)
	}
	if contentLoc != "" {
		rp = rp.with("Content-Location", contentLoc)
	}
	return rp
}

// handleNotFound is the 404 for an unknown, malformed, deleted or expired handle id.
func handleNotFound(id string) reply {
	return errorReply(notFound("handle %s was not found", id))
}

// getHandle is GET /handles/{id}.
func (e *Emulator) getHandle(c *call) reply {
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if e.fault(faultNonGUIDHandleID400) && !isGUID(c.params[0]) {
		return errorReply(badRequest("handle id %q is not a GUID", c.params[0]))
	}
	h := st.lookupHandle(c.params[0], e.now())
	if h == nil {
		return handleNotFound(c.params[0])
	}
	if rp, ok := e.handleReadAsSession(c, h); ok {
		return rp
	}
	body, err := e.handleJSON(h)
	if err != nil {
		return errorReply(err)
	}
	rp := rawJSONReply(http.StatusOK, body).with("Cache-Control", cacheNoStore)
	if e.fault(faultHandleGetLowercasesSessionRef) {
		doc := e.extend(h.document())
		doc["sessionRef"] = sessionRef{strings.ToLower(h.ref.scid), strings.ToLower(h.ref.template), strings.ToLower(h.ref.name)}.doc()
		rp = jsonReply(http.StatusOK, doc).with("Cache-Control", cacheNoStore)
	}
	if e.fault(faultHandleGetTextPlain) {
		rp = rp.with("Content-Type", contentTypeText)
	}
	return rp
}

// deleteHandle is DELETE /handles/{id}: the owner (for invites the sender or the invitee) or
// a server principal may delete a handle.
func (e *Emulator) deleteHandle(c *call) reply {
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.lookupHandle(c.params[0], e.now())
	if h == nil {
		if e.fault(faultDeleteUnknownHandle204) {
			return emptyReply(http.StatusNoContent)
		}
		return handleNotFound(c.params[0])
	}
	if !e.mayDelete(c, h) {
		return e.deleteRefusal(h)
	}
	if e.fault(faultForgetToDeleteHandle) {
		return emptyReply(http.StatusNoContent)
	}
	st.removeHandle(h.id)
	return e.deletedReply(h)
}

// getHandleSession is GET /handles/{id}/session.
func (e *Emulator) getHandleSession(c *call) reply {
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.lookupHandle(c.params[0], e.now())
	if h == nil {
		if e.fault(faultHandleSessionUnknown204) {
			return emptyReply(http.StatusNoContent)
		}
		return handleNotFound(c.params[0])
	}
	if e.fault(faultHandleSessionReturnsHandle) {
		body, err := e.handleJSON(h)
		if err != nil {
			return errorReply(err)
		}
		return rawJSONReply(http.StatusOK, body).with("Cache-Control", cacheNoStore)
	}
	if e.fault(faultHandleSessionMissing404) && st.sessions[h.ref.key()] == nil {
		return errorReply(notFound("the session of handle %s does not exist", h.id))
	}
	rp := e.readSession(c, h.ref, h)
	if e.fault(faultHandleSessionDropsContentLocation) {
		rp.header.Del("Content-Location")
	}
	if e.fault(faultHandleSessionDropsETag) {
		rp.header.Del("ETag")
	}
	return rp
}

// putHandleSession is PUT /handles/{id}/session: a session PUT on the handle's session,
// with the handle's grants (an invite lets its invitee join).
func (e *Emulator) putHandleSession(c *call) reply {
	req, perr := e.parseSessionRequest(c.body)
	st := e.store
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.lookupHandle(c.params[0], e.now())
	if h == nil {
		if e.fault(faultHandlePutUnknown403) {
			return errorReply(forbidden("the caller has no access to handle %s", c.params[0]))
		}
		return handleNotFound(c.params[0])
	}
	if perr != nil && e.fault(faultHandlePutMalformedJSON500) && !json.Valid(c.body) {
		return errorReply(fmt.Errorf("decode session request: %v", perr))
	}
	rp := e.writeSession(c, h.ref, h, req, perr)
	switch {
	case rp.status == http.StatusOK && e.fault(faultHandleUpdateAnswers201):
		rp.status = http.StatusCreated
	case rp.status == http.StatusCreated && e.fault(faultHandleCreateAnswers200):
		rp.status = http.StatusOK
	}
	return rp
}
