// The scaffold's webpack config (.config/, managed by create-plugin), extended
// as create-plugin documents: nested plugins' logos are copied next to their
// plugin.json (the scaffold copies only the app's), which Grafana and its
// plugin validator need. (The app's screenshots, src/img/screenshots, are
// copied by the scaffold from plugin.json's list.)
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import { merge } from 'webpack-merge';

import grafanaConfig, { type Env } from './.config/webpack/webpack.config';

const config = async (env: Env): Promise<Configuration> => {
  const baseConfig = await grafanaConfig(env);
  return merge(baseConfig, {
    plugins: [
      new CopyWebpackPlugin({
        // Relative to src/ (the scaffold's context); the app's own img/ is copied by the scaffold.
        patterns: [{ from: '*/**/img/*.{svg,png}', to: '.', noErrorOnMissing: true }],
      }),
    ],
  });
};

export default config;
