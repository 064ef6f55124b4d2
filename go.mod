module liaptui

go 1.26
