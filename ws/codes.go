package ws

import "liaptui/game"

// Code is an error code of protocol.md §10. Codes the game decides are
// game.Code values; this package only defines the protocol's own.
type Code string

// Protocol-only codes (protocol.md §10).
const (
	CodeBadMessage           Code = "BAD_MESSAGE"
	CodeBadRequest           Code = "BAD_REQUEST"
	CodeUnknownType          Code = "UNKNOWN_TYPE"
	CodeNotAuthenticated     Code = "NOT_AUTHENTICATED"
	CodeAlreadyAuthenticated Code = "ALREADY_AUTHENTICATED"
	CodeInvalidToken         Code = "INVALID_TOKEN"
	CodeRateLimited          Code = "RATE_LIMITED"
	CodeSeqOutOfRange        Code = "SEQ_OUT_OF_RANGE"
	CodeUnauthorized         Code = "UNAUTHORIZED"
	CodeForbidden            Code = "FORBIDDEN"
	CodeNotFound             Code = "NOT_FOUND"
	CodeMethodNotAllowed     Code = "METHOD_NOT_ALLOWED"
	CodeInProgress           Code = "IN_PROGRESS"
	CodeRecoveryThrottled    Code = "RECOVERY_THROTTLED"
	CodeUnavailable          Code = "UNAVAILABLE"
	CodeRoomCorrupt          Code = "ROOM_CORRUPT"
)

// Shared codes this package produces itself; game owns their spelling.
const (
	CodeInvalidField = Code(game.CodeInvalidField)
	CodeInternal     = Code(game.CodeInternal)
)

// CodeInfo is one row of protocol.md §10.
type CodeInfo struct {
	Code Code
	WS   bool // sent in WS error messages
	HTTP int  // REST status; 0 when REST never uses the code
	// HTTPAlt is a second status for the same code: RECOVERY_THROTTLED is
	// 409 for disabled/cooldown and 429 for hourly_limit.
	HTTPAlt int
}

// codeTable is protocol.md §10, in its order. It is the only list of codes.
var codeTable = []CodeInfo{
	{Code: CodeBadMessage, WS: true},
	{Code: CodeBadRequest, HTTP: 400},
	{Code: CodeUnknownType, WS: true},
	{Code: CodeInvalidField, WS: true, HTTP: 400},
	{Code: CodeNotAuthenticated, WS: true},
	{Code: CodeAlreadyAuthenticated, WS: true},
	{Code: CodeInvalidToken, WS: true},
	{Code: CodeRateLimited, WS: true, HTTP: 429},
	{Code: Code(game.CodeRoomNotFound), WS: true, HTTP: 404},
	{Code: Code(game.CodeRoomFull), WS: true},
	{Code: Code(game.CodeGameAlreadyStarted), WS: true},
	{Code: Code(game.CodeAlreadyInRoom), WS: true},
	{Code: Code(game.CodeNotHost), WS: true},
	{Code: Code(game.CodeSeatOccupied), WS: true},
	{Code: Code(game.CodeSeatNotBot), WS: true},
	{Code: Code(game.CodeSeatsNotFilled), WS: true},
	{Code: Code(game.CodeNotSeated), WS: true},
	{Code: Code(game.CodeWrongPhase), WS: true},
	{Code: Code(game.CodeNotInControl), WS: true},
	{Code: Code(game.CodeNotYourTurn), WS: true},
	{Code: Code(game.CodeStaleDeal), WS: true},
	{Code: Code(game.CodeRedealNotOffered), WS: true},
	{Code: Code(game.CodeAlreadyDecided), WS: true},
	{Code: Code(game.CodeInvalidValue), WS: true},
	{Code: Code(game.CodeDeclarationForbidden), WS: true},
	{Code: Code(game.CodeUnknownPiece), WS: true},
	{Code: Code(game.CodeDuplicatePiece), WS: true},
	{Code: Code(game.CodeWrongPieceCount), WS: true},
	{Code: Code(game.CodePieceNotInHand), WS: true},
	{Code: Code(game.CodeInvalidPlay), WS: true},
	{Code: CodeSeqOutOfRange, WS: true, HTTP: 400},
	{Code: CodeUnauthorized, HTTP: 401},
	{Code: CodeForbidden, HTTP: 403},
	{Code: CodeNotFound, HTTP: 404},
	{Code: CodeMethodNotAllowed, HTTP: 405},
	{Code: CodeInProgress, HTTP: 409},
	{Code: CodeRecoveryThrottled, HTTP: 409, HTTPAlt: 429},
	{Code: CodeUnavailable, WS: true, HTTP: 503},
	{Code: CodeRoomCorrupt, HTTP: 409},
	{Code: CodeInternal, WS: true, HTTP: 500},
}

var codeIndex = func() map[string]CodeInfo {
	m := make(map[string]CodeInfo, len(codeTable))
	for _, c := range codeTable {
		m[string(c.Code)] = c
	}
	return m
}()

// Codes returns a copy of the §10 table in spec order.
func Codes() []CodeInfo { return append([]CodeInfo(nil), codeTable...) }

// KnownCode reports whether code is in the closed list of §10.
func KnownCode(code string) bool {
	_, ok := codeIndex[code]
	return ok
}

// HTTPStatus is the REST status of code (the first one for
// RECOVERY_THROTTLED); 0 when REST never uses it or the code is unknown.
func HTTPStatus(code string) int { return codeIndex[code].HTTP }

// SentOverWS reports whether code may appear in a WS error message.
func SentOverWS(code string) bool { return codeIndex[code].WS }
