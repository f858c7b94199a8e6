// The app's settings (jsonData of the app plugin) for every page below the
// app shell, which provides them.
import { createContext, useContext } from 'react';

import { DEFAULT_SETTINGS, type ZVizAppSettings } from '../settings';

export const AppSettingsContext = createContext<Required<ZVizAppSettings>>(DEFAULT_SETTINGS);

export function useAppSettings(): Required<ZVizAppSettings> {
  return useContext(AppSettingsContext);
}
