package onedoor

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the http package.
const (
	EINVALID      = "invalid"      // bad input; Field names what was wrong
	ENOTFOUND     = "not_found"    // the thing asked for does not exist (or may not be seen)
	ECONFLICT     = "conflict"     // illegal transition, duplicate, stale version
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // known caller, not allowed
	ETOOMANY      = "too_many"     // throttled; try again later
	ETOOLARGE     = "too_large"    // request body or upload too large
	EMETHOD       = "method"       // the resource exists; the method is not allowed
	EINTERNAL     = "internal"     // our fault; logged, never shown in detail
)

// Error is the one error type that crosses package boundaries. Message is a
// sentence for people; Field names the input it is about, when there is one.
// An Error made by Errorf or FieldErrorf also keeps its format and
// arguments, so that pages can word it in the reader's language (Format).
type Error struct {
	Code    string
	Field   string
	Message string

	format string
	args   []any
}

// Format returns the English format and the arguments Message was made
// from, when it was made by Errorf or FieldErrorf; ok is false otherwise.
// The format is the key of the message in a translation catalog.
func (e *Error) Format() (format string, args []any, ok bool) {
	return e.format, e.args, e.format != ""
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("onedoor: %s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("onedoor: %s: %s", e.Code, e.Message)
}

// Term is a value of a closed set named in a message — a card's status,
// a complaint's — that pages word in the reader's language (the message
// key Set+"."+Value of their catalog). It reads as its value in English.
type Term struct{ Set, Value string }

// String is the value.
func (t Term) String() string { return t.Value }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// FieldErrorf returns an EINVALID *Error about one named input field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...), format: format, args: args}
}

// OnField moves a bad-input error onto another field (a question
// written as JSON in one form field, a rule inside a request), keeping
// its message; other errors are returned as they are.
func OnField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) && e.Code == EINVALID {
		moved := *e
		moved.Field = field
		return &moved
	}
	return err
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, EINTERNAL
// for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the people-facing message of err; internal errors get
// a generic sentence so that no detail leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// ErrorField returns the input field err is about, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
