// validate_handle.go holds the parsing of a POST /handles body into a parsedHandle: the
// session references, the handle type and the fields of invites, transfers and search
// handles. Every 400 of a handle creation is found here.

package emulator

import (
	"encoding/json"
	"net/url"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// maxInviteContext is the longest inviteAttributes.context once URI-encoded.
const maxInviteContext = 256

// isGUID reports whether s is a GUID.
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
		if err := p.parseTransfer(m, e.requiresTransferOrigin()); err != nil {
			return nil, err
		}
	case handleSearch:
		if err := p.parseSearch(m, e.keepsSearchAttributes()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseTransfer validates a transfer's originSessionRef, which is required unless required
// is false.
func (p *parsedHandle) parseTransfer(m map[string]any, required bool) error {
	if _, ok := m["originSessionRef"]; !ok && !required {
		return nil
	}
	origin, err := parseRef(m, "originSessionRef", false)
	if err != nil {
		return err
	}
	p.origin = origin
	p.doc["originSessionRef"] = p.origin.doc()
	return nil
}

// parseSearch validates a search handle's optional searchAttributes and, when keep is set,
// copies them into the document.
func (p *parsedHandle) parseSearch(m map[string]any, keep bool) error {
	sa, err := optObject(m, "", "searchAttributes")
	if err != nil || sa == nil {
		return err
	}
	if err := validateSearchAttributes(sa); err != nil {
		return err
	}
	if keep {
		p.doc["searchAttributes"] = copyMap(sa)
	}
	return nil
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
	if v, ok := sa["tags"]; ok && !arrayOf(v, isString) {
		return badRequest("%s.tags must be an array of strings", p)
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
