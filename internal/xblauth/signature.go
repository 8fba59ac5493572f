package xblauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// SignatureHeader is the header that carries a request signature.
const SignatureHeader = "Signature"

// signaturePolicyVersion is the version of the signature policy the sign-in services use.
const signaturePolicyVersion = 1

// fileTimeEpochOffset is the number of 100-ns ticks from 1601-01-01 (Windows FILETIME) to
// 1970-01-01.
const fileTimeEpochOffset = 116444736000000000

// fileTime returns t as a Windows FILETIME: 100-ns ticks since 1601-01-01 UTC.
func fileTime(t time.Time) int64 { return t.UnixNano()/100 + fileTimeEpochOffset }

// signedDigest is the SHA-256 the signature covers: the policy version, the FILETIME, the
// method, the path and query, the Authorization header and the body, each followed by a zero
// byte.
func signedDigest(filetime int64, method, pathAndQuery, authorization string, body []byte) []byte {
	h := sha256.New()
	var head [4 + 1 + 8 + 1]byte
	binary.BigEndian.PutUint32(head[0:4], signaturePolicyVersion)
	binary.BigEndian.PutUint64(head[5:13], uint64(filetime))
	h.Write(head[:])
	for _, part := range [][]byte{[]byte(method), []byte(pathAndQuery), []byte(authorization), body} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// requestPath returns the path and query of req as the signature covers them.
func requestPath(req *http.Request) string {
	p := req.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	if req.URL.RawQuery != "" {
		p += "?" + req.URL.RawQuery
	}
	return p
}

// Sign sets the Signature header of req (whose body is body) for the proof key key at time t:
// base64 of the policy version, the FILETIME and the ECDSA P-256 signature (r and s, 32 bytes
// each) of the signed digest.
func Sign(req *http.Request, body []byte, key *ecdsa.PrivateKey, t time.Time) error {
	if key == nil || key.Curve != elliptic.P256() {
		return errors.New("sign request: the proof key must be an ECDSA P-256 key")
	}
	ft := fileTime(t)
	digest := signedDigest(ft, req.Method, requestPath(req), req.Header.Get("Authorization"), body)
	r, s, err := ecdsa.Sign(rand.Reader, key, digest)
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	sig := make([]byte, 12+64)
	binary.BigEndian.PutUint32(sig[0:4], signaturePolicyVersion)
	binary.BigEndian.PutUint64(sig[4:12], uint64(ft))
	r.FillBytes(sig[12:44])
	s.FillBytes(sig[44:76])
	req.Header.Set(SignatureHeader, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// JWK is an ECDSA P-256 public key as a JSON Web Key, the form of the ProofKey property.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// ProofKey returns the public half of key as the JWK the sign-in services expect.
func ProofKey(key *ecdsa.PrivateKey) (JWK, error) {
	raw, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil || len(raw) != 65 {
		return JWK{}, fmt.Errorf("proof key: not an uncompressed P-256 point: %v", err)
	}
	enc := base64.RawURLEncoding
	return JWK{Kty: "EC", Crv: "P-256", X: enc.EncodeToString(raw[1:33]), Y: enc.EncodeToString(raw[33:65]), Alg: "ES256", Use: "sig"}, nil
}

// proofKey is a device's proof key: the private key that signs its requests and its public
// half as a JWK.
type proofKey struct {
	private *ecdsa.PrivateKey
	jwk     JWK
}

// newProofKeyPair makes a new ECDSA P-256 proof key.
func newProofKeyPair() (proofKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return proofKey{}, fmt.Errorf("make proof key: %w", err)
	}
	jwk, err := ProofKey(key)
	if err != nil {
		return proofKey{}, err
	}
	return proofKey{private: key, jwk: jwk}, nil
}
