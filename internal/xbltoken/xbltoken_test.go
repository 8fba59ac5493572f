package xbltoken

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	key = []byte("test-key-0123456789")
	now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
)

func TestMintParseRoundTrip(t *testing.T) {
	for _, c := range []Claims{
		{XUID: "2814600000000101", TitleID: "1934211234", Gamertag: "One"},
		{TitleID: "1934211234", Server: true},
		{XUID: "1", TitleID: "0", Server: true},
	} {
		h, err := Mint(key, c, now)
		if err != nil {
			t.Fatalf("Mint(%+v): %v", c, err)
		}
		if !strings.HasPrefix(h, "XBL3.0 x=") {
			t.Errorf("header %q does not have the XBL3.0 shape", h)
		}
		got, err := Parse(key, h, now.Add(time.Hour))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got.XUID != c.XUID || got.TitleID != c.TitleID || got.Server != c.Server {
			t.Errorf("round trip: got %+v, want %+v", got, c)
		}
	}
}

func TestParseRejects(t *testing.T) {
	valid, err := Mint(key, Claims{XUID: "2814600000000101", TitleID: "1934211234"}, now)
	if err != nil {
		t.Fatal(err)
	}
	hash, token, _ := strings.Cut(strings.TrimPrefix(valid, "XBL3.0 x="), ";")
	tampered := []byte(token)
	tampered[len(tokenPrefix)+5] ^= 0x01
	cases := map[string]struct {
		header string
		key    []byte
		at     time.Time
		want   error
	}{
		"missing":          {"", key, now, ErrMissing},
		"bearer":           {"Bearer abc", key, now, ErrMalformed},
		"no hash":          {"XBL3.0 nohash", key, now, ErrMalformed},
		"empty parts":      {"XBL3.0 x=;", key, now, ErrMalformed},
		"foreign token":    {"XBL3.0 x=123;eyJhbGciOi", key, now, ErrToken},
		"wrong key":        {valid, []byte("another-key"), now, ErrSignature},
		"tampered payload": {"XBL3.0 x=" + hash + ";" + string(tampered), key, now, ErrSignature},
		"truncated sig":    {valid[:len(valid)-3], key, now, ErrSignature},
		"other user hash":  {"XBL3.0 x=abcdef;" + token, key, now, ErrClaims},
		"expired":          {valid, key, now.Add(25 * time.Hour), ErrExpired},
		"empty key":        {valid, nil, now, ErrSignature},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(tc.key, tc.header, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMintRejectsBadClaims(t *testing.T) {
	for name, c := range map[string]Claims{
		"user without xuid": {TitleID: "1"},
		"non-decimal xuid":  {XUID: "TestXboxUserId", TitleID: "1"},
		"title too large":   {XUID: "1", TitleID: "4294967296"},
		"signed title":      {XUID: "1", TitleID: "+5"},
	} {
		if _, err := Mint(key, c, now); err == nil {
			t.Errorf("%s: Mint accepted %+v", name, c)
		}
	}
	if _, err := Mint(nil, Claims{XUID: "1", TitleID: "1"}, now); err == nil {
		t.Error("Mint accepted an empty key")
	}
}
