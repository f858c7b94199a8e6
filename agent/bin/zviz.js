#!/usr/bin/env node
'use strict';
require('../dist/zviz.js');
