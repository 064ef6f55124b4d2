package ws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"

	"liaptui/game"
)

// eventFrames encodes the event frames (§5.3) of one committed event, each
// recipient level once. Every member sees the same frame but for its key of
// hands_dealt.payload.hands and the view's my_seat and my_hand, so the event
// object and the view are encoded once at the public level and a member's
// frame splices its parts in. For every level l its bytes equal
// Event(roomID, Redact(ev, l), RenderView(state, l, ev.Seq, now)).Encode().
// Encoding a whole view per member and per event took a quarter of the
// server's CPU under load.
type eventFrames struct {
	ev    StoredEvent
	state *game.State
	now   int64

	roomJSON []byte // the room id as a JSON string
	event    []byte // the event object at the public level
	view     []byte // the view at the public level
	// mySeat and myHand are the offsets in view of the null values of
	// my_seat and my_hand, where a member's values go.
	mySeat, myHand int

	frames [5][]byte // by seat; index 0 is the public level
}

var (
	mySeatNull = []byte(`"my_seat":null`)
	myHandNull = []byte(`"my_hand":null`)
	jsonNull   = []byte("null")
)

// newEventFrames encodes the public parts of ev, whose payload is compact
// JSON as json.Marshal writes it; state is the room's state right after ev
// and must outlive the eventFrames.
func newEventFrames(roomID string, ev StoredEvent, state *game.State, now int64) (*eventFrames, error) {
	f := &eventFrames{ev: ev, state: state, now: now}
	var err error
	if f.roomJSON, err = json.Marshal(roomID); err != nil {
		return nil, err
	}
	if f.event, err = f.eventAt(Public); err != nil {
		return nil, err
	}
	if f.view, err = json.Marshal(RenderView(*state, Public, ev.Seq, now)); err != nil {
		return nil, fmt.Errorf("encode view of seq %d: %w", ev.Seq, err)
	}
	// In compact JSON `"my_seat":` can only be that key (a view has no
	// free-form keys); my_hand comes after it.
	f.mySeat = nullAfter(f.view, mySeatNull, 0)
	f.myHand = nullAfter(f.view, myHandNull, f.mySeat)
	return f, nil
}

// nullAfter is the offset of the null ending the first keyNull at or after
// from, or -1.
func nullAfter(b, keyNull []byte, from int) int {
	if from < 0 {
		return -1
	}
	i := bytes.Index(b[from:], keyNull)
	if i < 0 {
		return -1
	}
	return from + i + len(keyNull) - len(jsonNull)
}

// eventAt encodes the event object at level l as json.Marshal(ClientEvent)
// does (admin fields aside): the payload, compact already, is copied as is.
func (f *eventFrames) eventAt(l Level) ([]byte, error) {
	ce, err := Redact(f.ev, l)
	if err != nil {
		return nil, err
	}
	typ, err := json.Marshal(ce.Type)
	if err != nil {
		return nil, err
	}
	payload := []byte(ce.Payload)
	if payload == nil {
		payload = jsonNull
	}
	b := make([]byte, 0, 64+len(typ)+len(payload))
	b = strconv.AppendInt(append(b, `{"seq":`...), ce.Seq, 10)
	b = append(append(b, `,"type":`...), typ...)
	b = strconv.AppendInt(append(b, `,"at":`...), ce.At, 10)
	b = append(append(b, `,"payload":`...), payload...)
	return append(b, '}'), nil
}

// frame is the frame for a recipient reading the room at seat's member
// level, or at the public level for seat 0. Frames are shared: callers
// must not modify them.
func (f *eventFrames) frame(seat int) ([]byte, error) {
	if seat < 0 || seat > 4 {
		seat = 0
	}
	if b := f.frames[seat]; b != nil {
		return b, nil
	}
	event := f.event
	if seat != 0 && f.ev.Type == handsDealt {
		var err error
		if event, err = f.eventAt(Member(seat)); err != nil {
			return nil, err
		}
	}
	view := [][]byte{f.view}
	switch {
	case seat == 0 || f.state.Seats[seat-1].Left: // a player who left reads the public view
	case f.mySeat < 0 || f.myHand < 0:
		// The view no longer has the layout splicing needs: render it whole.
		whole, err := json.Marshal(RenderView(*f.state, Member(seat), f.ev.Seq, f.now))
		if err != nil {
			return nil, err
		}
		view = [][]byte{whole}
	default:
		null := len(jsonNull)
		v := f.view
		view = [][]byte{v[:f.mySeat], strconv.AppendInt(nil, int64(seat), 10), v[f.mySeat+null : f.myHand],
			handJSON(f.state.Seats[seat-1].Hand), v[f.myHand+null:]}
	}
	f.frames[seat] = encodeEventFrame(f.roomJSON, f.ev.Seq, event, view)
	return f.frames[seat], nil
}

// pieceJSON is each piece as View.MyHand encodes it.
var pieceJSON = func() (pieces [32][]byte) {
	for id := range pieces {
		b, err := json.Marshal(game.Piece{ID: id, Kind: game.KindOfPiece(id), Points: game.PiecePoints(id)})
		if err != nil {
			panic(err) // a struct of two ints and a string always encodes
		}
		pieces[id] = b
	}
	return pieces
}()

// handJSON is a hand as View.MyHand encodes it: pieces ascending by id.
func handJSON(h game.Hand) []byte {
	b := make([]byte, 0, 2+h.Len()*48)
	b = append(b, '[')
	for m := uint32(h); m != 0; m &= m - 1 {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, pieceJSON[bits.TrailingZeros32(m)]...)
	}
	return append(b, ']')
}

// encodeEventFrame is Message.MarshalJSON's bytes for an event message
// whose data holds the encoded event object and the view, given in parts.
func encodeEventFrame(roomJSON []byte, seq int64, event []byte, view [][]byte) []byte {
	const (
		head    = `{"type":"event"`
		seqKey  = `,"seq":`
		roomKey = `,"data":{"room_id":`
		evKey   = `,"event":`
		viewKey = `,"view":`
		tail    = `}}`
		maxInt  = len("-9223372036854775808")
	)
	size := len(head) + len(seqKey) + maxInt + len(roomKey) + len(roomJSON) + len(evKey) + len(event) +
		len(viewKey) + len(tail)
	for _, part := range view {
		size += len(part)
	}
	b := make([]byte, 0, size)
	b = append(b, head...)
	if seq != 0 { // Message.Seq is omitempty
		b = strconv.AppendInt(append(b, seqKey...), seq, 10)
	}
	b = append(append(b, roomKey...), roomJSON...)
	b = append(append(b, evKey...), event...)
	b = append(b, viewKey...)
	for _, part := range view {
		b = append(b, part...)
	}
	return append(b, tail...)
}
