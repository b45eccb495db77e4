package config

import "golang.org/x/sys/windows"

// desktopLangs are the user's preferred display languages ("kk-KZ",
// "ru-RU"), most preferred first.
func desktopLangs() []string {
	langs, err := windows.GetUserPreferredUILanguages(windows.MUI_LANGUAGE_NAME)
	if err != nil {
		return nil
	}
	return langs
}
