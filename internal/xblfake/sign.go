package xblfake

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// Request signing, policy version 1, as the device and SISU endpoints require it.
//
// The Signature header is standard base64 of
//
//	uint32be(1) ‖ int64be(filetime) ‖ r (32 bytes) ‖ s (32 bytes)
//
// where (r, s) is an ECDSA P-256 signature of
//
//	SHA-256( uint32be(1) 0 int64be(filetime) 0 METHOD 0 path?query 0 Authorization 0 body 0 )
//
// made with the private half of the request's ProofKey, and filetime is the Windows FILETIME
// (100 ns ticks since 1601-01-01 UTC) of the signing time. The whole body is signed.

const (
	signaturePolicyVersion = 1
	signatureLen           = 4 + 8 + 32 + 32
	// filetimeUnixEpoch is the FILETIME of 1970-01-01T00:00:00Z.
	filetimeUnixEpoch = 116444736000000000
)

// filetime returns the Windows FILETIME of t: 100-ns ticks since 1601-01-01 UTC.
func filetime(t time.Time) int64 { return t.UnixNano()/100 + filetimeUnixEpoch }

// signedDigest returns the SHA-256 digest a policy-version-1 Signature header signs.
func signedDigest(ft int64, method, pathAndQuery, authorization string, body []byte) []byte {
	var buf bytes.Buffer
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], signaturePolicyVersion)
	buf.Write(n[:4])
	buf.WriteByte(0)
	binary.BigEndian.PutUint64(n[:], uint64(ft))
	buf.Write(n[:])
	buf.WriteByte(0)
	for _, part := range []string{method, pathAndQuery, authorization} {
		buf.WriteString(part)
		buf.WriteByte(0)
	}
	buf.Write(body)
	buf.WriteByte(0)
	sum := sha256.Sum256(buf.Bytes())
	return sum[:]
}

// proofKey is a parsed ProofKey JWK: an ECDSA P-256 public key.
type proofKey struct {
	x, y [32]byte
	pub  *ecdsa.PublicKey
}

// jwk is the wire form of a ProofKey.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// parseProofKey parses the ProofKey JWK {"kty":"EC","crv":"P-256","x","y","alg":"ES256","use":"sig"}
// with x and y base64url without padding, 32 bytes each, a point on the curve.
func parseProofKey(raw json.RawMessage) (proofKey, error) {
	var k jwk
	if len(raw) == 0 || string(raw) == "null" {
		return proofKey{}, errors.New("ProofKey is missing")
	}
	if err := json.Unmarshal(raw, &k); err != nil {
		return proofKey{}, fmt.Errorf("ProofKey is not a JWK object: %v", err)
	}
	switch {
	case k.Kty != "EC":
		return proofKey{}, errors.New(`ProofKey kty must be "EC"`)
	case k.Crv != "P-256":
		return proofKey{}, errors.New(`ProofKey crv must be "P-256"`)
	case k.Alg != "ES256":
		return proofKey{}, errors.New(`ProofKey alg must be "ES256"`)
	case k.Use != "sig":
		return proofKey{}, errors.New(`ProofKey use must be "sig"`)
	}
	var pk proofKey
	for _, c := range []struct {
		name string
		in   string
		out  *[32]byte
	}{{"x", k.X, &pk.x}, {"y", k.Y, &pk.y}} {
		b, err := base64.RawURLEncoding.Strict().DecodeString(c.in)
		if err != nil || len(b) != 32 {
			return proofKey{}, fmt.Errorf("ProofKey %s must be 32 bytes of base64url without padding", c.name)
		}
		copy(c.out[:], b)
	}
	point := append(append([]byte{4}, pk.x[:]...), pk.y[:]...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return proofKey{}, errors.New("ProofKey is not a point on P-256")
	}
	pk.pub = pub
	return pk, nil
}

func (k proofKey) equal(o proofKey) bool { return k.x == o.x && k.y == o.y }

// verifySignature checks the Signature header of r (whose body is body) against key, with
// the fake's clock reading now.
func verifySignature(r *http.Request, body []byte, key proofKey, now time.Time) error {
	h := r.Header.Get("Signature")
	if h == "" {
		return errors.New("no Signature header")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(h)
	if err != nil {
		return errors.New("Signature is not standard base64")
	}
	if len(sig) != signatureLen {
		return fmt.Errorf("Signature is %d bytes, want %d", len(sig), signatureLen)
	}
	if v := binary.BigEndian.Uint32(sig[:4]); v != signaturePolicyVersion {
		return fmt.Errorf("Signature policy version %d, want %d", v, signaturePolicyVersion)
	}
	ft := int64(binary.BigEndian.Uint64(sig[4:12]))
	nowFT := filetime(now)
	skew := int64(MaxSignatureSkew / 100)
	if ft < nowFT-skew || ft > nowFT+skew {
		return errors.New("Signature timestamp is more than 5 minutes from the server's clock")
	}
	digest := signedDigest(ft, r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), body)
	rr := new(big.Int).SetBytes(sig[12:44])
	ss := new(big.Int).SetBytes(sig[44:76])
	if !ecdsa.Verify(key.pub, digest, rr, ss) {
		return errors.New("Signature does not verify")
	}
	return nil
}
