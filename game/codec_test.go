package game

import (
	"encoding/json"
	"testing"
)

func TestHandJSON(t *testing.T) {
	for in, want := range map[string]Hand{
		`[]`:           0,
		`[ ]`:          0,
		`[0,31]`:       HandOf(0, 31),
		`[ 7 , 2 ,5 ]`: HandOf(2, 5, 7),
	} {
		var h Hand
		if err := json.Unmarshal([]byte(in), &h); err != nil || h != want {
			t.Errorf("%s: got %v, %v; want %v", in, h.IDs(), err, want.IDs())
		}
	}
	for _, in := range []string{`[1,1]`, `[-1]`, `[32]`, `[1.5]`, `["1"]`, `{}`, `[1,]`, `null`, `[[1]]`} {
		var h Hand
		if err := json.Unmarshal([]byte(in), &h); err == nil {
			t.Errorf("%s: accepted as %v", in, h.IDs())
		}
	}
	b, _ := json.Marshal(HandOf(3, 1))
	if string(b) != `[1,3]` {
		t.Errorf("marshal: %s", b)
	}
}

func TestSeatMapJSON(t *testing.T) {
	var m SeatMap[int]
	if err := json.Unmarshal([]byte(`{"1":5,"4":-2}`), &m); err != nil || m != (SeatMap[int]{5, 0, 0, -2}) {
		t.Fatalf("got %v, %v", m, err)
	}
	for _, in := range []string{`{"0":1}`, `{"5":1}`, `{"x":1}`, `{"1":"a"}`, `[1,2]`} {
		var m SeatMap[int]
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
	b, _ := json.Marshal(SeatMap[Hand]{HandOf(0), 0, HandOf(5, 6), 0})
	if string(b) != `{"1":[0],"2":[],"3":[5,6],"4":[]}` {
		t.Errorf("marshal: %s", b)
	}
}
