// SPDX-License-Identifier: Apache-2.0
// The action's main step: locate pinniped-ci and run `pinniped-ci github`. All logic is in C++.
'use strict';
require('./launcher.js').launch('main');
