package game

import (
	"errors"
	"fmt"
)

// Code is a rejection code. The game's own codes are those of rules §6.4; the
// room-layer commands decided here use the protocol's codes of the same table
// (protocol.md §10), so the server passes every code on unchanged.
type Code string

// Rejection codes of rules §6.4.
const (
	CodeWrongPhase           Code = "WRONG_PHASE"
	CodeNotSeated            Code = "NOT_SEATED"
	CodeNotInControl         Code = "NOT_IN_CONTROL"
	CodeNotYourTurn          Code = "NOT_YOUR_TURN"
	CodeStaleDeal            Code = "STALE_DEAL"
	CodeRedealNotOffered     Code = "REDEAL_NOT_OFFERED"
	CodeAlreadyDecided       Code = "ALREADY_DECIDED"
	CodeInvalidValue         Code = "INVALID_VALUE"
	CodeDeclarationForbidden Code = "DECLARATION_FORBIDDEN"
	CodeUnknownPiece         Code = "UNKNOWN_PIECE"
	CodeDuplicatePiece       Code = "DUPLICATE_PIECE"
	CodeWrongPieceCount      Code = "WRONG_PIECE_COUNT"
	CodePieceNotInHand       Code = "PIECE_NOT_IN_HAND"
	CodeInvalidPlay          Code = "INVALID_PLAY"
)

// Room-layer codes (protocol.md §10) for the waiting-phase commands.
const (
	CodeRoomNotFound       Code = "ROOM_NOT_FOUND"
	CodeRoomFull           Code = "ROOM_FULL"
	CodeGameAlreadyStarted Code = "GAME_ALREADY_STARTED"
	CodeAlreadyInRoom      Code = "ALREADY_IN_ROOM"
	CodeNotHost            Code = "NOT_HOST"
	CodeSeatOccupied       Code = "SEAT_OCCUPIED"
	CodeSeatNotBot         Code = "SEAT_NOT_BOT"
	CodeSeatsNotFilled     Code = "SEATS_NOT_FILLED"
	CodeInvalidField       Code = "INVALID_FIELD"
	CodeInternal           Code = "INTERNAL"
)

// Error is a rejection: a code, an English message and the details the
// protocol sends with it (protocol.md §4 "Error details").
type Error struct {
	Code    Code
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func reject(code Code, details map[string]any, format string, args ...any) *Error {
	if details == nil {
		details = map[string]any{}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Details: details}
}

// CodeOf gives the code carried by err (also through wrapping): "" for nil or
// for an error that carries none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return string(e.Code)
	}
	return ""
}
