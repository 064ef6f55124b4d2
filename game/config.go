package game

// Config holds the options of rules §21. Durations are milliseconds.
type Config struct {
	WinScore             int  `json:"win_score"`
	MaxRounds            int  `json:"max_rounds"`
	MaxRedeals           int  `json:"max_redeals"`
	RedealWindowMs       int  `json:"redeal_window_ms"`
	DeclarationTimeoutMs int  `json:"declaration_timeout_ms"`
	PlayTimeoutMs        int  `json:"play_timeout_ms"`
	RoundStartPauseMs    int  `json:"round_start_pause_ms"`
	TurnResultsPauseMs   int  `json:"turn_results_pause_ms"`
	ScoringPauseMs       int  `json:"scoring_pause_ms"`
	BotDelayMs           int  `json:"bot_delay_ms"`
	DisconnectGraceMs    int  `json:"disconnect_grace_ms"`
	AbandonInGameMs      int  `json:"abandon_in_game_ms"`
	AbandonAfterGameMs   int  `json:"abandon_after_game_ms"`
	FastMode             bool `json:"fast_mode"`
}

// DefaultConfig is the table of rules §21.
func DefaultConfig() Config {
	return Config{
		WinScore:             50,
		MaxRounds:            20,
		RedealWindowMs:       30_000,
		DeclarationTimeoutMs: 30_000,
		PlayTimeoutMs:        30_000,
		RoundStartPauseMs:    3_000,
		TurnResultsPauseMs:   3_000,
		ScoringPauseMs:       5_000,
		BotDelayMs:           1_000,
		DisconnectGraceMs:    15_000,
		AbandonInGameMs:      60_000,
		AbandonAfterGameMs:   300_000,
	}
}

// Effective applies fast mode: the three display pauses and the bot delay
// become 0. It is what game_started records.
func (c Config) Effective() Config {
	if c.FastMode {
		c.RoundStartPauseMs, c.TurnResultsPauseMs, c.ScoringPauseMs, c.BotDelayMs = 0, 0, 0, 0
	}
	return c
}

// Validate rejects options no game could run with.
func (c Config) Validate() error {
	checks := []struct {
		name string
		v    int
	}{
		{"max_rounds", c.MaxRounds}, {"max_redeals", c.MaxRedeals},
		{"redeal_window_ms", c.RedealWindowMs}, {"declaration_timeout_ms", c.DeclarationTimeoutMs},
		{"play_timeout_ms", c.PlayTimeoutMs}, {"round_start_pause_ms", c.RoundStartPauseMs},
		{"turn_results_pause_ms", c.TurnResultsPauseMs}, {"scoring_pause_ms", c.ScoringPauseMs},
		{"bot_delay_ms", c.BotDelayMs}, {"disconnect_grace_ms", c.DisconnectGraceMs},
		{"abandon_in_game_ms", c.AbandonInGameMs}, {"abandon_after_game_ms", c.AbandonAfterGameMs},
	}
	for _, ch := range checks {
		if ch.v < 0 {
			return reject(CodeInvalidField, map[string]any{"field": "config." + ch.name, "reason": "negative"},
				"%s must not be negative", ch.name)
		}
	}
	if c.WinScore < 1 {
		return reject(CodeInvalidField, map[string]any{"field": "config.win_score", "reason": "below 1"},
			"win_score must be at least 1")
	}
	return nil
}
