// model_session_write.go holds the state change of a session PUT: applyWrite applies a
// validated request to a session (who may write what, joining and leaving, properties,
// reservations, member writes by index, servers, roleTypes and owners), step by step.

package emulator

import "time"

// applyWrite applies a validated request to s (a fresh or cloned session). It returns the
// ids of activity handles that must be deleted once the write is committed.
func (e *Emulator) applyWrite(s *session, req *sessionRequest, c *call, via *handle, creating bool, now time.Time) ([]string, error) {
	if err := e.checkWriter(req, c); err != nil {
		return nil, err
	}
	var caller *member
	if c.isUser() {
		caller = s.findMember(c.xuid())
	}
	if !creating && !c.isServer() && caller == nil {
		if err := s.checkJoin(req, c, via); err != nil {
			return nil, err
		}
	}
	if err := s.applyProperties(req.properties, c, creating); err != nil {
		return nil, err
	}
	drop, caller, err := s.applyMe(req, c, caller, now)
	if err != nil {
		return nil, err
	}
	if err := s.applyReservations(req.reserves, now); err != nil {
		return nil, err
	}
	dropped, err := s.applyIndexWrites(req)
	if err != nil {
		return nil, err
	}
	drop = append(drop, dropped...)
	s.applyServers(req.servers)
	s.applyRoleTypes(req.roleTypes)
	if err := s.settleOwners(caller, creating); err != nil {
		return nil, err
	}
	return drop, nil
}

// checkWriter refuses the parts of a request the caller's principal may not write: servers
// (server principals only), members.me (users only) and members by index (servers only).
func (e *Emulator) checkWriter(req *sessionRequest, c *call) error {
	if req.servers != nil && !c.isServer() {
		return forbidden("servers can only be written by a server principal")
	}
	if req.hasMe && !c.isUser() {
		return forbidden("members.me needs a user principal with a XUID claim")
	}
	// members.me is the caller, whatever constants.system.xuid it names (clients in
	// production send another user's): the given xuid is ignored.
	if err := e.meXUIDCheck(req, c); err != nil {
		return err
	}
	if len(req.indexOrder) > 0 && !c.isServer() {
		return forbidden("members can only be changed by index by a server principal")
	}
	return nil
}

// checkJoin decides a write to an existing session by a user who is not a member of it: a
// bare leave changes nothing, a join is allowed on an open session (and on any session for
// the invitee of the invite handle used), anything else is refused.
func (s *session) checkJoin(req *sessionRequest, c *call, via *handle) error {
	joining := req.me != nil
	onlyLeave := req.hasMe && req.me == nil && req.properties == nil && req.constants == nil && len(req.reserves) == 0
	switch {
	case onlyLeave:
		// leaving a session one is not in changes nothing
	case !joining:
		return forbidden("only members of the session may write it; join with members.me")
	case s.visibility() != "open" && !inviteGrant(c, via):
		return forbidden("session is %s; only members and reserved users may join", s.visibility())
	}
	return nil
}

// inviteGrant reports whether the caller is the invitee of the invite handle used.
func inviteGrant(c *call, via *handle) bool {
	return via != nil && via.typ == handleInvite && c.isUser() && via.invited == c.xuid()
}

// applyProperties merges a properties delta into the session. properties.system.owners
// needs the hasOwners capability and, on an existing session, an owner or a server.
func (s *session) applyProperties(props map[string]any, c *call, creating bool) error {
	if props == nil {
		return nil
	}
	if sys, ok := props["system"].(map[string]any); ok {
		if _, touches := sys["owners"]; touches {
			if !s.hasOwners() {
				return badRequest("properties.system.owners needs constants.system.capabilities.hasOwners")
			}
			if !creating && !c.isServer() && !s.isOwner(c.xuid()) {
				return forbidden("only owners may change properties.system.owners")
			}
		}
	}
	mergeInto(s.properties, props)
	subObject(s.properties, "system")
	subObject(s.properties, "custom")
	return nil
}

// applyMe applies members.me: the caller leaves (null) or joins and writes their member
// record. It returns the activity handles to delete (the leaver's, or the caller's when they
// became inactive) and the caller's member record afterwards.
func (s *session) applyMe(req *sessionRequest, c *call, caller *member, now time.Time) ([]string, *member, error) {
	if !req.hasMe {
		return nil, caller, nil
	}
	if req.me == nil {
		if caller == nil {
			return nil, nil, nil
		}
		return s.removeMember(caller), nil, nil
	}
	wasActive := caller != nil && caller.active()
	caller, err := s.writeMe(caller, req.me, c, now)
	if err != nil {
		return nil, nil, err
	}
	if id := caller.activity; id != "" && !caller.active() && (wasActive || req.me.touchesActive) {
		caller.activity = ""
		return []string{id}, caller, nil
	}
	return nil, caller, nil
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

// applyReservations adds a reserved member record for every members.reserve_N XUID that is
// not a member yet, while the session has room.
func (s *session) applyReservations(reserves []reservation, now time.Time) error {
	for _, r := range reserves {
		if s.findMember(r.xuid) != nil {
			continue
		}
		if len(s.members) >= s.maxMembers() {
			return forbidden("session is full (maxMembersCount %d)", s.maxMembers())
		}
		m := s.addMember(r.xuid, now)
		m.reserved = true
		mergeInto(m.constantsSystem, r.constantsSystem)
		mergeInto(m.constantsCustom, r.constantsCustom)
	}
	return nil
}

// applyIndexWrites applies members.<index>: null removes the member, an object merges its
// properties. It returns the activity handles of the removed members.
func (s *session) applyIndexWrites(req *sessionRequest) ([]string, error) {
	var drop []string
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
	return drop, nil
}

// applyServers merges each servers.<name> object; null deletes the entry.
func (s *session) applyServers(servers map[string]any) {
	for _, name := range sortedKeys(servers) {
		if v, _ := servers[name].(map[string]any); v != nil {
			mergeInto(subObject(s.servers, name), v)
		} else {
			delete(s.servers, name)
		}
	}
}

// applyRoleTypes merges the top-level roleTypes (nil: none given).
func (s *session) applyRoleTypes(roleTypes map[string]any) {
	if roleTypes == nil {
		return
	}
	if s.roleTypes == nil {
		s.roleTypes = map[string]any{}
	}
	mergeInto(s.roleTypes, roleTypes)
}

// settleOwners makes the creator of a hasOwners session its first owner (or sets an empty
// owners list), then checks that every owner is an accepted member.
func (s *session) settleOwners(caller *member, creating bool) error {
	if creating && s.hasOwners() {
		if caller != nil && !caller.reserved {
			s.setOwners([]int{caller.index})
		} else if _, ok := s.propertiesSystem()["owners"]; !ok {
			s.setOwners(nil)
		}
	}
	for _, i := range s.owners() {
		if m := s.members[i]; m == nil || m.reserved {
			return badRequest("properties.system.owners: %d is not the index of an accepted member", i)
		}
	}
	return nil
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
