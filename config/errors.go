package config

import (
	"errors"
	"fmt"
)

// Error is a configuration error: a setting is missing, malformed or contradicts another, or
// the identities or connection it describes cannot be built. Load, Resolve and the runs built
// on them return one (possibly wrapped) for every such problem, so that a caller can tell a
// configuration it must fix from a run that went wrong (errors.As).
type Error struct {
	// Err says what is wrong, naming the setting.
	Err error
}

// Error returns the message, without any "configuration error" prefix: how to present the
// kind is the caller's choice.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError marks err as a configuration error; nil, and an error that already is one, stay as
// they are.
func NewError(err error) error {
	var cfgErr *Error
	if err == nil || errors.As(err, &cfgErr) {
		return err
	}
	return &Error{Err: err}
}

// Errorf formats a configuration error (%w wraps as in fmt.Errorf).
func Errorf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}
