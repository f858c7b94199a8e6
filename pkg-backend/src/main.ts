// Entry point of the gpx_zviz executable that Grafana starts.
const MAGIC_COOKIE_KEY = 'grafana_plugin_type';
const MAGIC_COOKIE_VALUE = 'datasource';

if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
  process.stderr.write(
    'This is the ZViz datasource backend, a Grafana plugin. Grafana starts it; it is not meant to be run by hand.\n'
  );
  process.exit(1);
}
process.stderr.write('{"@level":"error","@message":"the plugin protocol is not implemented yet"}\n');
process.exit(1);
