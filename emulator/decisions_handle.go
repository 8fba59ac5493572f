// decisions_handle.go holds the decision points of the handle endpoints: POST /handles
// (validation, membership and ownership, replacement, the created document, status and
// locations), GET and DELETE /handles/{id}, and GET and PUT /handles/{id}/session. See
// decisions_request.go for what a decision point is.

package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// ---------------------------------------------------------------------------------------
// POST /handles: the request.

// handleRequestError is the error answered for a POST /handles body that parseHandleRequest
// refused (err; p is the partly parsed handle or nil): err itself, a 400. Faults:
// malformed-json-500 answers a body that is not JSON at all with an opaque 500 (err is
// formatted with %v, not wrapped, so its status is lost); invalid-invite-422 answers the
// errors of an invite's own fields 422.
func (e *Emulator) handleRequestError(body []byte, p *parsedHandle, err error) error {
	if e.fault(faultMalformedJSON500) && !json.Valid(body) {
		return fmt.Errorf("decode handle request: %v", err) //nolint:errorlint // deliberately not an *apiError: a 500
	}
	if e.fault(faultInvalidInvite422) && p != nil && p.typ == handleInvite {
		return errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	return err
}

// fillsMissingSessionName reports whether a sessionRef without name gets a generated name (a
// new GUID), as the seed page says MPSD does; with the activity-name-required-400 fault the
// name is required (400).
func (e *Emulator) fillsMissingSessionName() bool {
	return !e.fault(faultActivityNameRequired400)
}

// generatedSessionName is the name MPSD fills into a sessionRef that has none.
func generatedSessionName() string { return uuid.NewString() }

// inviteContextLimit is the longest accepted inviteAttributes.context once URI-encoded: 256;
// 255 with the invite-context-limit-255 fault, unlimited with accept-long-invite-context.
func (e *Emulator) inviteContextLimit() int {
	switch {
	case e.fault(faultAcceptLongInviteContext):
		return math.MaxInt
	case e.fault(faultInviteContextLimit255):
		return maxInviteContext - 1
	}
	return maxInviteContext
}

// requiresTransferOrigin reports whether a transfer handle needs originSessionRef: yes; no
// with the transfer-origin-optional fault.
func (e *Emulator) requiresTransferOrigin() bool { return !e.fault(faultTransferOriginOptional) }

// keepsSearchAttributes reports whether a search handle's document keeps the request's
// searchAttributes: yes; no with the search-drops-attributes fault.
func (e *Emulator) keepsSearchAttributes() bool { return !e.fault(faultSearchDropsAttributes) }

// checksHandleTemplate reports whether POST /handles refuses a sessionRef whose SCID or
// template is not configured (404): yes; no with the handles-skip-template-check fault.
func (e *Emulator) checksHandleTemplate() bool { return !e.fault(faultHandlesSkipTemplateCheck) }

// ---------------------------------------------------------------------------------------
// POST /handles: who may create the handle.

// requiresActivityMembership reports whether an activity handle needs its creator to be an
// accepted member of the session: yes (refused with nonMemberActivityStatus); no with the
// activity-skips-membership-check fault, when the activity is bound to no member.
func (e *Emulator) requiresActivityMembership() bool {
	return !e.fault(faultActivitySkipsMembershipCheck)
}

// nonMemberActivityStatus is the refusal of an activity for a session the caller is not a
// member of (or that does not exist): 403; 404 with the nonmember-activity-404 variant or the
// activity-nonmember-404 fault.
func (e *Emulator) nonMemberActivityStatus() int {
	if e.variant(variantNonMemberActivity404) || e.fault(faultActivityNonMember404) {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// inviteRefusal is the error for an invite that must not be created, or nil. Reference: on a
// hasOwners session only owners (or anyone with allowNonOwnerInviteHandles) may invite, 403;
// invites to full, closed or missing sessions are created. Variant invite-requires-session:
// a missing session is 404. Faults: invite-ignores-owners drops the owner rule,
// invite-refuses-closed-session and invite-refuses-full-session refuse closed and full
// sessions with 403.
func (e *Emulator) inviteRefusal(c *call, ref sessionRef, s *session) error {
	if s == nil {
		if e.variant(variantInviteRequiresSession) {
			return notFound("session %s does not exist; invites need an existing session", ref.name)
		}
		return nil
	}
	if s.hasOwners() && !c.isServer() && !s.allowNonOwnerInvites() && !s.isOwner(c.xuid()) && !e.fault(faultInviteIgnoresOwners) {
		return errorf(e.nonOwnerInviteStatus(), "only session owners may send invites (constants.system.ownershipPolicies.allowNonOwnerInviteHandles is not true)")
	}
	if s.closed() && e.fault(faultInviteRefusesClosedSession) {
		return forbidden("session %s is closed; no invites can be sent", ref.name)
	}
	if len(s.members) >= s.maxMembers() && e.fault(faultInviteRefusesFullSession) {
		return forbidden("session %s is full (maxMembersCount %d); no invites can be sent", ref.name, s.maxMembers())
	}
	return nil
}

// nonOwnerInviteStatus is the refusal of an invite by a member who is not an owner of a
// hasOwners session: 403; 404 with the nonowner-invite-404 variant or fault.
func (e *Emulator) nonOwnerInviteStatus() int {
	if e.variant(variantNonOwnerInvite404) || e.fault(faultNonOwnerInvite404) {
		return http.StatusNotFound
	}
	return http.StatusForbidden
}

// ---------------------------------------------------------------------------------------
// POST /handles: the created handle and the answer.

// replacesActivities reports whether a new activity handle replaces its creator's older
// activities (those in sameActivityScope, and the one bound to the creator's member record):
// yes; no with the skip-activity-replacement fault.
func (e *Emulator) replacesActivities() bool { return !e.fault(faultSkipActivityReplacement) }

// sameActivityScope reports whether the older activity old of the same creator and title is
// in the scope a new activity h replaces: the same SCID; only the same session with the
// activity-replacement-per-session fault.
func (e *Emulator) sameActivityScope(old, h *handle) bool {
	return strings.EqualFold(old.ref.scid, h.ref.scid) &&
		(!e.fault(faultActivityReplacementPerSession) || old.ref.key() == h.ref.key())
}

// trimCreatedDocument removes members from a created handle's document: none by default.
// Invites: see trimInviteDocument. Faults: activity-without-createtime drops an activity's
// createTime, transfer-drops-origin a transfer's originSessionRef.
func (e *Emulator) trimCreatedDocument(h *handle) {
	switch h.typ {
	case handleActivity:
		if e.fault(faultActivityWithoutCreateTime) {
			delete(h.doc, "createTime")
		}
	case handleInvite:
		e.trimInviteDocument(h.doc)
	case handleTransfer:
		if e.fault(faultTransferDropsOrigin) {
			delete(h.doc, "originSessionRef")
		}
	}
}

// trimInviteDocument removes members from a created invite's document: none by default
// (id, version, type, sessionRef, invitedXuid, inviteAttributes, senderXuid, expiration,
// createTime). The invite-minimal-body variant keeps only the first six; the
// invite-without-expiration and invite-drops-invited-xuid faults drop one member each.
func (e *Emulator) trimInviteDocument(doc map[string]any) {
	if e.variant(variantInviteMinimalBody) {
		for k := range doc {
			switch k {
			case "id", "version", "type", "sessionRef", "invitedXuid", "inviteAttributes":
			default:
				delete(doc, k)
			}
		}
	}
	if e.fault(faultInviteWithoutExpiration) {
		delete(doc, "expiration")
	}
	if e.fault(faultInviteDropsInvitedXuid) {
		delete(doc, "invitedXuid")
	}
}

// handleBumpsChangeNumber reports whether creating a handle for an existing session bumps the
// session's changeNumber (and so its ETag): yes; no with the no-changenumber-bump fault.
func (e *Emulator) handleBumpsChangeNumber() bool { return !e.fault(faultNoChangeNumberBump) }

// handleCreatedStatus is the status of a created handle: 201. 200 for invites with the
// invite-answers-200 variant and for search handles with the search-answers-200 variant;
// faults: activity-answers-200 (activities), closed-invite-answers-200 (invites to a closed
// session) and search-answers-200 (search handles).
func (e *Emulator) handleCreatedStatus(h *handle, s *session) int {
	switch {
	case h.typ == handleActivity && e.fault(faultActivityAnswers200),
		h.typ == handleInvite && e.variant(variantInviteAnswers200),
		h.typ == handleSearch && (e.variant(variantSearchAnswers200) || e.fault(faultSearchAnswers200)),
		h.typ == handleInvite && s != nil && s.closed() && e.fault(faultClosedInviteAnswers200):
		return http.StatusOK
	}
	return http.StatusCreated
}

// createdHandleLocations are the Location and Content-Location of a created handle ("" leaves
// the header out): both /handles/{id} through locationFor. Faults: drop-handle-content-location
// drops an activity's Content-Location, transfer-drops-location drops both of a transfer.
func (e *Emulator) createdHandleLocations(c *call, h *handle) (location, contentLocation string) {
	loc := e.locationFor(c.r, "/handles/"+h.id)
	switch {
	case h.typ == handleTransfer && e.fault(faultTransferDropsLocation):
		return "", ""
	case h.typ == handleActivity && e.fault(faultDropHandleContentLocation):
		return loc, ""
	}
	return loc, loc
}

// ---------------------------------------------------------------------------------------
// GET and DELETE /handles/{id}.

// handleIDError is the error for a handle id in the path of GET /handles/{id} before it is
// looked up: none (an id that is not a GUID is simply not found, 404); 400 for an id that is
// not a GUID with the non-guid-handle-id-400 fault.
func (e *Emulator) handleIDError(id string) error {
	if e.fault(faultNonGUIDHandleID400) && !isGUID(id) {
		return badRequest("handle id %q is not a GUID", id)
	}
	return nil
}

// unknownHandleReply is the answer to request op on a handle id that is unknown, malformed,
// deleted or expired: 404 (handleNotFound). Faults: delete-unknown-handle-204 answers a
// DELETE 204, handle-session-unknown-204 a GET of /handles/{id}/session 204,
// handle-put-unknown-403 a PUT of /handles/{id}/session 403.
func (e *Emulator) unknownHandleReply(op handleOp, id string) reply {
	switch {
	case op == opDeleteHandle && e.fault(faultDeleteUnknownHandle204),
		op == opGetHandleSession && e.fault(faultHandleSessionUnknown204):
		return emptyReply(http.StatusNoContent)
	case op == opPutHandleSession && e.fault(faultHandlePutUnknown403):
		return errorReply(forbidden("the caller has no access to handle %s", id))
	}
	return handleNotFound(id)
}

// handleReadAsSession is the reply to GET /handles/{id} when it returns the handle's session
// instead of the handle document: never by default; with the handle-get-returns-session
// variant whenever the session exists and the caller may read it. Lock held.
func (e *Emulator) handleReadAsSession(c *call, h *handle) (reply, bool) {
	if !e.variant(variantHandleGetReturnsSession) {
		return reply{}, false
	}
	rp := e.readSession(c, h.ref, h)
	if rp.status != http.StatusOK && rp.status != http.StatusNotModified {
		return reply{}, false
	}
	return rp, true
}

// handleGetReply is the answer to GET /handles/{id} with handle h's document: rp as the
// handler made it. Faults: handle-get-lowercases-sessionref answers the document with its
// sessionRef in lower case, handle-get-text-plain declares it text/plain.
func (e *Emulator) handleGetReply(h *handle, rp reply) reply {
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

// mayDelete reports whether the caller may delete h: its owner (for invites also the sender
// or the invitee) or a server principal; anyone with the delete-ignores-owner fault.
func (e *Emulator) mayDelete(c *call, h *handle) bool {
	x := c.xuid()
	allowed := c.isServer() || (x != "" && (h.creator == x || (h.typ == handleInvite && h.invited == x)))
	return allowed || e.fault(faultDeleteIgnoresOwner)
}

// deleteRefusal is the answer to a DELETE of someone else's handle (which is kept): 403; 404
// with the delete-others-404 variant or the delete-by-others-404 fault.
func (e *Emulator) deleteRefusal(h *handle) reply {
	if e.variant(variantDeleteOthers404) || e.fault(faultDeleteByOthers404) {
		return handleNotFound(h.id)
	}
	return errorReply(forbidden("only the handle's owner or a server principal may delete handle %s", h.id))
}

// removesDeletedHandle reports whether a successful DELETE /handles/{id} removes the handle:
// yes; no with the forget-to-delete-handle fault, which answers 204 and keeps it.
func (e *Emulator) removesDeletedHandle() bool { return !e.fault(faultForgetToDeleteHandle) }

// deletedReply is the answer to a successful DELETE of h: 204 without a body. 200 without a
// body with the delete-answers-200 variant or fault; 200 with the deleted handle document with
// the delete-returns-body fault.
func (e *Emulator) deletedReply(h *handle) reply {
	switch {
	case e.fault(faultDeleteReturnsBody):
		return rawJSONReply(http.StatusOK, h.raw)
	case e.variant(variantDeleteAnswers200) || e.fault(faultDeleteAnswers200):
		return emptyReply(http.StatusOK)
	}
	return emptyReply(http.StatusNoContent)
}

// ---------------------------------------------------------------------------------------
// GET and PUT /handles/{id}/session.

// handleSessionReadAsHandle is the reply to GET /handles/{id}/session when it returns the
// handle document instead of the session: never by default; always with the
// handle-session-returns-handle fault.
func (e *Emulator) handleSessionReadAsHandle(h *handle) (reply, bool) {
	if !e.fault(faultHandleSessionReturnsHandle) {
		return reply{}, false
	}
	body, err := e.handleJSON(h)
	if err != nil {
		return errorReply(err), true
	}
	return rawJSONReply(http.StatusOK, body).with("Cache-Control", cacheNoStore), true
}

// handleSessionHeaders are the headers of GET /handles/{id}/session: those of the session
// read (readSession). Faults: handle-session-drops-content-location drops
// Content-Location, handle-session-drops-etag drops the ETag.
func (e *Emulator) handleSessionHeaders(rp reply) reply {
	if e.fault(faultHandleSessionDropsContentLocation) {
		rp.header.Del("Content-Location")
	}
	if e.fault(faultHandleSessionDropsETag) {
		rp.header.Del("ETag")
	}
	return rp
}

// handlePutBodyError is the error answered for a PUT /handles/{id}/session body that
// parseSessionRequest refused (perr, nil when it is valid): perr itself, a 400. With the
// handle-put-malformed-json-500 fault a body that is not JSON at all is an opaque 500 (perr
// is formatted with %v, not wrapped, so its status is lost).
func (e *Emulator) handlePutBodyError(body []byte, perr error) error {
	if perr != nil && e.fault(faultHandlePutMalformedJSON500) && !json.Valid(body) {
		return fmt.Errorf("decode session request: %v", perr) //nolint:errorlint // deliberately not an *apiError: a 500
	}
	return perr
}

// handlePutStatus is the status of a PUT /handles/{id}/session whose session write answered
// status: status itself (201 created, 200 updated). Faults: handle-update-answers-201 answers
// an update 201, handle-create-answers-200 a creation 200.
func (e *Emulator) handlePutStatus(status int) int {
	switch {
	case status == http.StatusOK && e.fault(faultHandleUpdateAnswers201):
		return http.StatusCreated
	case status == http.StatusCreated && e.fault(faultHandleCreateAnswers200):
		return http.StatusOK
	}
	return status
}
