package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/mpsdclient"
	"github.com/mpsdconf/mpsdconf/internal/tokenfile"
	"github.com/mpsdconf/mpsdconf/internal/xblauth"
)

// loginTimeout bounds how long login waits for the person to sign in (Microsoft's device codes
// expire after 15 minutes; the answer says when, and that bound wins when it is shorter).
const loginTimeout = 20 * time.Minute

// cmdLogin is `mpsdconf login`: the device-code sign-in a person does once per test account.
// It prints where to sign in, waits for the sign-in, checks the account through the whole
// Xbox Live chain, and writes the identity's tokenFile, or with --print prints the refresh
// token for a CI secret store (the only secret it ever prints).
func cmdLogin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mpsdconf login", flag.ContinueOnError)
	name := fs.String("identity", "", "the identity to sign in: user1, user2 or user3 (required)")
	pool := fs.Int("pool", 0, "the identity is in identityPools[N-1] (1 for the first pool); 0: the identities of the world")
	configFile := fs.String("config", "", "YAML config file with the xboxLive settings and the identity (or $"+config.EnvConfigFile+")")
	printToken := fs.Bool("print", false, "print the refresh token on stdout (for a CI secret, e.g. the identity's xboxLive.refreshTokenEnv) instead of writing its tokenFile")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mpsdconf login --identity NAME [--pool N] [--config FILE] [--print]\n\n"+
			"Signs a test account in once with a Microsoft account device code: open the URL it prints,\n"+
			"enter the code, sign in as the account. Runs then sign in on their own from the stored token.\n\n")
		fs.PrintDefaults()
	}
	if done, code := parseFlags(fs, args, stderr); done {
		return code
	}
	if *name == "" || fs.NArg() > 0 || *pool < 0 {
		fmt.Fprintln(stderr, "mpsdconf login: usage: mpsdconf login --identity NAME [--pool N] [--config FILE] [--print]")
		return 2
	}
	if err := login(ctx, loginRequest{identity: *name, pool: *pool, configFile: *configFile, print: *printToken}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "mpsdconf login: %s\n", describe(err))
		return 2
	}
	return 0
}

// loginRequest is what `mpsdconf login` was asked.
type loginRequest struct {
	identity   string
	pool       int
	configFile string
	print      bool
}

func login(ctx context.Context, req loginRequest, stdout, stderr io.Writer) error {
	r, spec, where, err := loginIdentity(req)
	if err != nil {
		return err
	}
	redactor := mpsdclient.NewRedactor()
	client, err := r.XboxLiveClient(redactor.Add)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	da, err := client.DeviceCode(ctx)
	if err != nil {
		return redactor.Error(err)
	}
	open := da.VerificationURI
	fmt.Fprintf(stderr, "To sign in %s, open %s and enter the code %s", where, open, da.UserCode)
	if !da.Expiry.IsZero() {
		fmt.Fprintf(stderr, " before %s", da.Expiry.UTC().Format("15:04 UTC"))
	}
	fmt.Fprintf(stderr, ".\nSign in as the test account (sandbox %s). Waiting...\n", client.Config().Sandbox)
	tok, err := client.AwaitDeviceCode(ctx, da)
	if err != nil {
		return redactor.Error(err)
	}
	// Check the account through the whole chain before keeping anything: a Microsoft account
	// without an Xbox profile, or another account than the configured XUID, is refused now.
	store := xblauth.NewMemoryStore(tok.RefreshToken)
	signedIn, err := client.NewSession(store).Token(ctx)
	if err != nil {
		return redactor.Error(fmt.Errorf("signed in to the Microsoft account, but Xbox Live refused it: %w", err))
	}
	if spec.XUID != "" && signedIn.XUID != spec.XUID {
		return fmt.Errorf("%s is configured as XUID %s, but the account signed in is XUID %s (gamertag %s): sign in as the right account, or fix the XUID", where, spec.XUID, signedIn.XUID, signedIn.Gamertag)
	}
	fmt.Fprintf(stderr, "Signed in: gamertag %s, XUID %s; XSTS token valid until %s.\n", signedIn.Gamertag, signedIn.XUID, signedIn.NotAfter.UTC().Format(time.RFC3339))
	if req.print {
		fmt.Fprintln(stdout, store.Current())
		fmt.Fprintf(stderr, "Store the refresh token printed above as a CI secret")
		if spec.XboxLive != nil && spec.XboxLive.RefreshTokenEnv != "" {
			fmt.Fprintf(stderr, " in the variable %s", spec.XboxLive.RefreshTokenEnv)
		}
		fmt.Fprintln(stderr, "; treat it like a password.")
		return nil
	}
	f := tokenfile.Open(spec.XboxLive.TokenFile)
	contents := tokenfile.Contents{RefreshToken: store.Current(), ClientID: client.Config().ClientID, XUID: signedIn.XUID, Gamertag: signedIn.Gamertag}
	if err := f.Write(ctx, contents); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Wrote %s (mode 0600). Runs now sign %s in from it and keep it current.\n", f.Path(), where)
	return nil
}

// loginIdentity finds the identity to sign in and checks that it can be: the xboxLive
// settings are there, and the identity is an xboxLive one with a tokenFile (or --print).
func loginIdentity(req loginRequest) (config.Resolved, fixtures.Identity, string, error) {
	environ := os.Environ()
	if req.configFile != "" {
		environ = append(environ, config.EnvConfigFile+"="+req.configFile)
	}
	cfg, err := config.Load(nil, environ)
	if err != nil {
		return config.Resolved{}, fixtures.Identity{}, "", err
	}
	if cfg.ConfigFile == "" {
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("--config (or %s) is required: the file with the xboxLive settings and the identity", config.EnvConfigFile)
	}
	if cfg.XboxLive.IsZero() {
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("%s has no xboxLive settings: add xboxLive.clientId (your test title's Microsoft account application id) and xboxLive.sandbox", cfg.ConfigFile)
	}
	ids, where := cfg.World.Identities, "identities."+req.identity
	if req.pool > 0 {
		if req.pool > len(cfg.IdentityPools) {
			return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("--pool %d: %s has %d identityPools", req.pool, cfg.ConfigFile, len(cfg.IdentityPools))
		}
		ids, where = cfg.IdentityPools[req.pool-1], fmt.Sprintf("identityPools[%d].%s", req.pool-1, req.identity)
	}
	spec, ok := ids[req.identity]
	switch {
	case !ok:
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("%s: no such identity in %s (have %s)", where, cfg.ConfigFile, strings.Join(identityNames(ids), ", "))
	case spec.Server:
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("%s is a server principal: it does not sign in as a user", where)
	case spec.XboxLive == nil && !req.print:
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("%s has no xboxLive source: give it xboxLive: {tokenFile: PATH} (or xboxLive: {refreshTokenEnv: NAME} and run login with --print)", where)
	case !req.print && spec.XboxLive.TokenFile == "":
		return config.Resolved{}, fixtures.Identity{}, "", config.Errorf("%s keeps its refresh token in the environment variable %s, which login cannot write: run login with --print and store what it prints there", where, spec.XboxLive.RefreshTokenEnv)
	}
	return config.Resolved{Config: cfg}, spec, where, nil
}

func identityNames(ids map[string]fixtures.Identity) []string {
	names := make([]string, 0, len(ids))
	for n := range ids {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
