// Package probity holds the domain types of the Probity credit and trust rating
// system and the interfaces of its services and stores. It imports no database
// driver and no network package: those live in sqlite/, http/ and cmd/.
package probity

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Error codes. Every error a caller sees carries one of these; anything else is
// an internal error, logged with detail and shown as "internal error".
const (
	ECONFLICT     = "conflict"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EUNAVAILABLE  = "unavailable"
	ETOOLARGE     = "too_large"
)

// ErrStopping is the cause of a request's context when a stopping server's
// grace period ends: what the request was doing is abandoned (a
// transaction rolls back, nothing half-applied), and the API and the pages
// answer it 503 with Retry-After, saying to send it again.
var ErrStopping = errors.New("the server is stopping")

// Error is the one error type of Probity. Message is written for the caller: it
// says what was wrong and what is allowed, naming the field, path or line.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("probity error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-facing message of err: the message of an
// *Error, or "internal error" for anything else, so that no detail of an
// internal failure leaks to a caller.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// MaxQuoted is how much of a caller's input an error message echoes.
const MaxQuoted = 40

// Quote returns s quoted for an error message, cut on a character boundary
// so that the quoted text stays within about 2*MaxQuoted bytes even when
// every byte needs an escape, so that a huge or hostile input cannot flood a
// message.
func Quote(s string) string {
	if q := strconv.Quote(s); len(q) <= 2*MaxQuoted+2 {
		return q
	}
	n := min(len(s), MaxQuoted)
	for {
		for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
			n--
		}
		if q := strconv.Quote(s[:n]); len(q) <= 2*MaxQuoted+2 || n == 0 {
			return q + fmt.Sprintf("... (%d bytes)", len(s))
		}
		n--
	}
}
