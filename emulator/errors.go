// errors.go holds apiError, the request failure that carries its HTTP status and message,
// and its constructors (errorf, badRequest, forbidden, notFound).

package emulator

import (
	"fmt"
	"net/http"
)

// apiError is a request failure with its HTTP status and a message for the caller.
type apiError struct {
	status int
	msg    string
}

// Error returns the message for the caller.
func (e *apiError) Error() string { return e.msg }

// errorf returns an *apiError with status and a formatted message.
func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// badRequest returns a 400 *apiError.
func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// forbidden returns a 403 *apiError.
func forbidden(format string, args ...any) error {
	return errorf(http.StatusForbidden, format, args...)
}

// notFound returns a 404 *apiError.
func notFound(format string, args ...any) error {
	return errorf(http.StatusNotFound, format, args...)
}
