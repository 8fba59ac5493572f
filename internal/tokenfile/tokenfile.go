// Package tokenfile keeps one Xbox Live test account's Microsoft account refresh token in a
// file of its own (an identity's xboxLive.tokenFile): written by `mpsdconf login`, read by
// every run, and rewritten when Microsoft rotates the token, so a nightly never needs a
// person. The file is JSON, mode 0600, replaced atomically, and every read-refresh-write is
// done under an exclusive lock (FILE.lock) so that processes sharing the file (the workers of
// a --procs run, two runs on one machine) never use a refresh token another has rotated away.
package tokenfile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// Version is the format version the package writes and reads.
const Version = 1

// Contents is what a token file holds.
type Contents struct {
	Version int `json:"version"`
	// RefreshToken is the Microsoft account refresh token. A secret.
	RefreshToken string `json:"refreshToken"`
	// ClientID is the Microsoft account application id the token was issued to.
	ClientID string `json:"clientId,omitempty"`
	// XUID and Gamertag say whose token it is (informational; the run checks the claims).
	XUID     string `json:"xuid,omitempty"`
	Gamertag string `json:"gamertag,omitempty"`
	// UpdatedAt is when the token was last written.
	UpdatedAt time.Time `json:"updatedAt"`
}

// File is one token file.
type File struct {
	path string
	// Warn, if set, is told about problems that do not stop a run: a file others may read,
	// a rotated token that could not be written back (the old one may stop working).
	Warn func(msg string)
}

// Open returns the token file at path; nothing is read until it is used.
func Open(path string) *File { return &File{path: path} }

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// lockTimeout bounds the wait for another process's lock on the file.
const lockTimeout = 2 * time.Minute

// Read returns the file's contents, under the lock.
func (f *File) Read(ctx context.Context) (Contents, error) {
	var c Contents
	err := f.locked(ctx, func() error {
		var err error
		c, err = f.read()
		return err
	})
	return c, err
}

// Rotate calls refresh with the stored refresh token and, when refresh returns another one,
// writes it back, all under the lock. A token that cannot be written back is a warning, not an
// error: the run goes on with it in memory.
func (f *File) Rotate(ctx context.Context, refresh func(current string) (string, error)) error {
	return f.locked(ctx, func() error {
		c, err := f.read()
		if err != nil {
			return err
		}
		next, err := refresh(c.RefreshToken)
		if err != nil {
			return err
		}
		if next == "" || next == c.RefreshToken {
			return nil
		}
		c.RefreshToken = next
		if err := f.write(c); err != nil {
			f.warn(fmt.Sprintf("token file %s: the rotated refresh token could not be stored (%v); this run goes on with it, but the stored one may stop working: run `mpsdconf login` again if a later run cannot sign in", f.path, err))
		}
		return nil
	})
}

// Write stores c (Version and UpdatedAt filled in), under the lock, creating the file (mode
// 0600) and its directory (0700) if needed.
func (f *File) Write(ctx context.Context, c Contents) error {
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return fmt.Errorf("token file %s: %w", f.path, err)
	}
	return f.locked(ctx, func() error { return f.write(c) })
}

// read reads and checks the file (the lock held).
func (f *File) read() (Contents, error) {
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Contents{}, fmt.Errorf("token file %s does not exist: sign the account in once with `mpsdconf login`", f.path)
	}
	if err != nil {
		return Contents{}, fmt.Errorf("token file %s: %w", f.path, err)
	}
	if info, err := os.Stat(f.path); err == nil && info.Mode().Perm()&0o077 != 0 {
		f.warn(fmt.Sprintf("token file %s has mode %04o: others on this machine can read the refresh token; chmod 600 it", f.path, info.Mode().Perm()))
	}
	var c Contents
	if err := json.Unmarshal(raw, &c); err != nil {
		return Contents{}, fmt.Errorf("token file %s is not a token file (JSON written by `mpsdconf login`): %v", f.path, err)
	}
	if c.Version != Version {
		return Contents{}, fmt.Errorf("token file %s: version %d, want %d", f.path, c.Version, Version)
	}
	if strings.TrimSpace(c.RefreshToken) == "" {
		return Contents{}, fmt.Errorf("token file %s holds no refresh token: sign the account in with `mpsdconf login`", f.path)
	}
	return c, nil
}

// createTemp makes the temporary file a write goes through (a seam for tests of a file that
// cannot be written, which root could otherwise always write).
var createTemp = os.CreateTemp

// write replaces the file atomically with c (the lock held): a temporary file in the same
// directory, mode 0600, renamed over it.
func (f *File) write(c Contents) error {
	c.Version = Version
	c.UpdatedAt = time.Now().UTC()
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := createTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), f.path)
}

// locked runs fn holding the file's exclusive lock (FILE.lock). Where no lock file can be
// made (a read-only directory, such as a mounted secret) fn runs without one, with a warning;
// in a folder that does not exist there is nothing to lock, and fn says what is missing.
func (f *File) locked(ctx context.Context, fn func() error) error {
	if _, err := os.Stat(filepath.Dir(f.path)); errors.Is(err, fs.ErrNotExist) {
		return fn()
	}
	lock := flock.New(f.path + ".lock")
	ctx, cancel := context.WithTimeout(ctx, lockTimeout)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 50*time.Millisecond)
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return fmt.Errorf("token file %s: waited %s for another process's lock (%s.lock): %w", f.path, lockTimeout, f.path, err)
	case err != nil:
		f.warn(fmt.Sprintf("token file %s: cannot lock it (%v); reading and writing it without a lock", f.path, err))
		return fn()
	case !ok:
		return fmt.Errorf("token file %s: not locked", f.path)
	}
	defer func() { _ = lock.Unlock() }()
	return fn()
}

func (f *File) warn(msg string) {
	if f.Warn != nil {
		f.Warn(msg)
	}
}
