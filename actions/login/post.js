// SPDX-License-Identifier: Apache-2.0
// The action's post step (post-if: always()): run `pinniped-ci github --post` to remove the job
// directory. Never downloads anything and never fails the job.
'use strict';
require('./launcher.js').launch('post');
