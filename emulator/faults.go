package emulator

// Faults are deliberate, realistic defects the emulator can be started with (Config.Faults).
// Each breaks exactly one catalog rule, so a conformance run against a faulted emulator must
// fail that rule and only that rule; this is how the suites are self-tested. Every fault is
// checked in exactly one place, the place where its rule is enforced, with a single
// `if e.fault(faultX)` branch.

// Fault switch names.
const (
	faultSkipContractVersionCheck  = "skip-contract-version-check"
	faultAllowPrivateQueryForUsers = "allow-private-query-for-users"
)

// FaultInfo describes one fault switch.
type FaultInfo struct {
	// Name is the value to put in Config.Faults.
	Name string
	// Rule is the catalog rule ID the fault breaks.
	Rule string
	// Description says how the emulator misbehaves with the fault switched on.
	Description string
}

var faultCatalog = []FaultInfo{
	{
		Name:        faultSkipContractVersionCheck,
		Rule:        "HDR-CV-INVALID-4XX",
		Description: "requests without an X-Xbl-Contract-Version header, or with an unsupported or non-numeric value, are accepted (as contract 107) instead of answering 400",
	},
	{
		Name:        faultAllowPrivateQueryForUsers,
		Rule:        "HQ-PRIVATE-403",
		Description: "POST /handles/query with private=true or reservations=true is allowed for any user, not only for server principals or the user named by the xuid parameter",
	},
}

// Faults lists the fault switches the emulator supports, with the rule each one breaks.
func Faults() []FaultInfo {
	return append([]FaultInfo(nil), faultCatalog...)
}

// fault reports whether the named fault is switched on.
func (e *Emulator) fault(name string) bool { return e.faults[name] }

func knownFault(name string) bool {
	for _, f := range faultCatalog {
		if f.Name == name {
			return true
		}
	}
	return false
}

func faultNames() []string {
	names := make([]string, len(faultCatalog))
	for i, f := range faultCatalog {
		names[i] = f.Name
	}
	return names
}
