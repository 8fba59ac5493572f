package sweep

import (
	"net/http"
	"sort"
	"strings"

	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/identity"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
)

// discovered is one activity handle of the run found by a query.
type discovered struct {
	id    string
	owner string // owner XUID as the target reported it
	ref   sweepRef
	asker identity.Identity
}

// discover queries each user's activity handles, deletes those in the run's sessions and
// leaves those sessions for every identity that is still a member.
func (sw *sweeper) discover() {
	if sw.world.SCID == "" {
		sw.problem("discovery: the test world has no SCID")
		return
	}
	marker := "-" + sw.runID + "-"
	var found []discovered
	seen := map[string]bool{}
	for _, user := range sw.users() {
		// The plain query lists handles of sessions that are not private (and of sessions that
		// are gone); the second lists the private sessions the user is in, which a user may
		// only query for their own XUID.
		for _, params := range [][]string{nil, {"private", "true", "xuid", user.XUID, "inactive", "true", "reservations", "true"}} {
			for _, d := range sw.queryActivities(user, params) {
				if seen[strings.ToLower(d.id)] || !strings.Contains(strings.ToLower(d.ref.Name), marker) {
					continue
				}
				seen[strings.ToLower(d.id)] = true
				found = append(found, d)
			}
		}
	}
	sw.printf("discovery: %d activity handles of run %s found", len(found), sw.runID)
	sessions := map[string]discovered{}
	for _, d := range found {
		who, ok := sw.ownerIdentity(d)
		if ok {
			sw.deleteHandle(who, d.id, "discovery")
		} else {
			sw.handlesDone[strings.ToLower(d.id)] = true
			sw.problem("discovery: handle %s is owned by XUID %s, which is none of the identities (and there is no server principal)", d.id, d.owner)
		}
		if _, dup := sessions[d.ref.key()]; !dup {
			sessions[d.ref.key()] = d
		}
	}
	keys := make([]string, 0, len(sessions))
	for k := range sessions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sw.leaveSession(sessions[k])
	}
}

// queryActivities posts an activity query for user's XUID as user; a failure is a problem.
func (sw *sweeper) queryActivities(user identity.Identity, params []string) []discovered {
	body, err := fixtures.BodyMap("query-activity-xuids", map[string]any{"SCID": sw.world.SCID, "XUIDS": []string{user.XUID}})
	if err != nil {
		sw.problem("discovery: %v", err)
		return nil
	}
	opts := []mpsdclient.Option{mpsdclient.WithJSON(body)}
	for i := 0; i+1 < len(params); i += 2 {
		opts = append(opts, mpsdclient.WithQuery(params[i], params[i+1]))
	}
	what := "discovery: query activity handles of " + user.Name
	if len(params) > 0 {
		what += " (private sessions)"
	}
	ex := sw.send(user, what, http.MethodPost, "/handles/query", opts...)
	if ex == nil {
		return nil
	}
	if ex.Status != http.StatusOK {
		sw.problem("%s: %s", what, unexpected(ex))
		return nil
	}
	var resp struct {
		Results []struct {
			ID         string   `json:"id"`
			OwnerXUID  string   `json:"ownerXuid"`
			SessionRef sweepRef `json:"sessionRef"`
		} `json:"results"`
	}
	if err := ex.DecodeJSON(&resp); err != nil {
		sw.problem("%s: %v", what, err)
		return nil
	}
	out := make([]discovered, 0, len(resp.Results))
	for _, r := range resp.Results {
		if r.ID == "" || strings.ContainsAny(r.ID, "/?#") || r.SessionRef.Name == "" {
			continue
		}
		out = append(out, discovered{id: r.ID, owner: r.OwnerXUID, ref: r.SessionRef, asker: user})
	}
	return out
}

// ownerIdentity picks who deletes a discovered handle: the identity with the owner's XUID
// (the asker when the target did not say), else a server principal.
func (sw *sweeper) ownerIdentity(d discovered) (identity.Identity, bool) {
	if d.owner == "" || d.owner == d.asker.XUID {
		return d.asker, true
	}
	for _, u := range sw.users() {
		if u.XUID == d.owner {
			return u, true
		}
	}
	return sw.server()
}

// leaveSession leaves a discovered session as every identity that is a member of it.
func (sw *sweeper) leaveSession(d discovered) {
	members, gone, ok := sw.readMembers(d.asker, d.ref)
	switch {
	case !ok:
		sw.problem("discovery: session %s could not be read to find its members", d.ref)
		return
	case gone:
		sw.printf("discovery: session %s: already gone", d.ref)
		return
	}
	for _, u := range sw.users() {
		if members[u.XUID] {
			sw.leaveIfMember(u, d.ref, "discovery")
		}
	}
}
