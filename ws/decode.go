package ws

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// decoders maps each §4 command type to the decoder of its data object.
var decoders = map[string]func(object) (Command, *Error){
	TypeHello:            decodeHello,
	TypePing:             decodePing,
	TypeLobbySubscribe:   func(object) (Command, *Error) { return LobbySubscribeData{}, nil },
	TypeLobbyUnsubscribe: func(object) (Command, *Error) { return LobbyUnsubscribeData{}, nil },
	TypeRoomCreate:       decodeCreate,
	TypeRoomJoin:         decodeJoin,
	TypeRoomLeave:        func(object) (Command, *Error) { return LeaveData{}, nil },
	TypeRoomSeat:         decodeSeat,
	TypeRoomStart:        func(object) (Command, *Error) { return StartData{}, nil },
	TypeGameRedeal:       decodeRedeal,
	TypeGameDeclare:      decodeDeclare,
	TypeGamePlay:         decodePlay,
	TypeRoomResync:       decodeResync,
}

// KnownCommand reports whether typ is a command of §4.
func KnownCommand(typ string) bool {
	_, ok := decoders[typ]
	return ok
}

// DecodeData decodes env.Data for env.Type: UNKNOWN_TYPE for a type outside
// §4, INVALID_FIELD (details {field, reason}) for the first field that
// breaks the §4 data constraints, checked in the table's field order.
// Unknown fields are ignored. Game legality stays with the game.
func DecodeData(env Envelope) (Command, *Error) {
	dec, ok := decoders[env.Type]
	if !ok {
		return nil, UnknownType(env.Type)
	}
	data := env.Data
	if len(data) == 0 {
		data = emptyObject
	}
	o, err := decodeObject("data", data)
	if err != nil {
		return nil, err
	}
	return dec(o)
}

// Limits of §4 in code points.
const (
	maxNameLen   = 24
	maxClientLen = 64
	roomIDLen    = 6
	roomAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
)

func decodeHello(o object) (Command, *Error) {
	var d HelloData
	if o.has("name") == o.has("token") {
		return nil, InvalidField("data", ReasonExactlyOne)
	}
	if o.has("name") {
		name, _, err := o.str("name", true)
		if err != nil {
			return nil, err
		}
		name = strings.TrimSpace(name)
		if reason := checkName(name); reason != "" {
			return nil, InvalidField("data.name", reason)
		}
		d.Name = &name
	} else {
		token, _, err := o.str("token", true)
		if err != nil {
			return nil, err
		}
		d.Token = &token
	}
	client, _, err := o.str("client", false)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(client) > maxClientLen {
		return nil, InvalidField("data.client", ReasonTooLong)
	}
	d.Client = client
	return d, nil
}

// checkName checks a trimmed display name: 1–24 code points, none of them a
// control (Cc) or format (Cf) character.
func checkName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return ReasonEmpty
	case n > maxNameLen:
		return ReasonTooLong
	}
	for _, r := range name {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return ReasonBadChar
		}
	}
	return ""
}

func decodePing(o object) (Command, *Error) {
	t, ok, err := o.number("client_time", false)
	if err != nil {
		return nil, err
	}
	var d PingData
	if ok {
		d.ClientTime = &t
	}
	return d, nil
}

func decodeCreate(o object) (Command, *Error) {
	quick, _, err := o.bool("quick_play", false)
	if err != nil {
		return nil, err
	}
	return CreateData{QuickPlay: quick}, nil
}

func decodeJoin(o object) (Command, *Error) {
	id, _, err := o.str("room_id", true)
	if err != nil {
		return nil, err
	}
	id = upperASCII(id)
	if reason := checkRoomID(id); reason != "" {
		return nil, InvalidField("data.room_id", reason)
	}
	return JoinData{RoomID: id}, nil
}

// upperASCII upper-cases a-z only: strings.ToUpper would turn U+017F (ſ)
// into S and let a non-ASCII id pass the alphabet check.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// checkRoomID checks an upper-cased room id against §0.1.
func checkRoomID(id string) string {
	if utf8.RuneCountInString(id) != roomIDLen {
		return ReasonBadLength
	}
	for _, r := range id {
		if !strings.ContainsRune(roomAlphabet, r) {
			return ReasonBadChar
		}
	}
	return ""
}

func decodeSeat(o object) (Command, *Error) {
	seat, _, err := o.int("seat", true)
	if err != nil {
		return nil, err
	}
	if seat < 1 || seat > 4 {
		return nil, InvalidField("data.seat", ReasonOutOfRange)
	}
	occ, _, err := o.str("occupant", true)
	if err != nil {
		return nil, err
	}
	if occ != OccupantBot && occ != OccupantOpen {
		return nil, InvalidField("data.occupant", ReasonBadValue)
	}
	return SeatData{Seat: int(seat), Occupant: occ}, nil
}

func decodeRedeal(o object) (Command, *Error) {
	accept, _, err := o.bool("accept", true)
	if err != nil {
		return nil, err
	}
	deal, ok, err := o.int("deal", false)
	if err != nil {
		return nil, err
	}
	d := RedealData{Accept: accept}
	if ok {
		n := int(deal)
		d.Deal = &n
	}
	return d, nil
}

func decodeDeclare(o object) (Command, *Error) {
	v, _, err := o.int("value", true)
	if err != nil {
		return nil, err
	}
	return DeclareData{Value: int(v)}, nil
}

func decodePlay(o object) (Command, *Error) {
	ids, _, err := o.ints("pieces", true)
	if err != nil {
		return nil, err
	}
	pieces := make([]int, len(ids))
	for i, id := range ids {
		pieces[i] = int(id)
	}
	return PlayData{Pieces: pieces}, nil
}

func decodeResync(o object) (Command, *Error) {
	id, _, err := o.str("room_id", true)
	if err != nil {
		return nil, err
	}
	seq, _, err := o.int("last_seq", true)
	if err != nil {
		return nil, err
	}
	if seq < 0 {
		return nil, InvalidField("data.last_seq", ReasonOutOfRange)
	}
	return ResyncData{RoomID: upperASCII(id), LastSeq: seq}, nil
}
