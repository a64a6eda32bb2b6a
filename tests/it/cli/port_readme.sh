#!/usr/bin/env bash
# The Python port's README and quickstart, command for command, on an observation laid out
# as they expect (TOP/90201039002/event_cl with bgd/, TOP/90201039002/auxil). Lines marked
# "glue" are the user's own steps the README leaves to them (writing bgdinfo.json, XSPEC's
# "save all mymodel", putting the source spectrum beside the model); everything else is
# verbatim. Run from TOP with the script names (install-scripts) on the PATH.
set -euo pipefail

# 2.1 Make an image (the quickstart, from the top level; once for this observation and
# once verbatim for its example observation)
./mkimgs.py ./ 90201039002 3 20
./mkimgs.py ./ 50002031004 3 20

cd 90201039002/event_cl

# 2.2 Extract spectra from background regions
getspecnoarf.py nu90201039002A01_cl.evt reg=bgd/bgd1.reg \
    indir=. outdir=bgd outprefix=bgd1A \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd1A.log

getspecnoarf.py nu90201039002A01_cl.evt reg=bgd/bgd2.reg \
    indir=. outdir=bgd outprefix=bgd2A \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd2A.log

getspecnoarf.py nu90201039002A01_cl.evt reg=bgd/bgd3.reg \
    indir=. outdir=bgd outprefix=bgd3A \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd3A.log

getspecnoarf.py nu90201039002B01_cl.evt reg=bgd/bgd1.reg \
    indir=. outdir=bgd outprefix=bgd1B \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd1B.log

getspecnoarf.py nu90201039002B01_cl.evt reg=bgd/bgd2.reg \
    indir=. outdir=bgd outprefix=bgd2B \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd2B.log

getspecnoarf.py nu90201039002B01_cl.evt reg=bgd/bgd3.reg \
    indir=. outdir=bgd outprefix=bgd3B \
    attfile=../auxil/nu90201039002_att.fits.gz >& bgd/bgd3B.log

mkdir spec

getspecnoarf.py nu90201039002A01_cl.evt reg=src1.reg \
    indir=. outdir=spec outprefix=src1A \
    attfile=../auxil/nu90201039002_att.fits.gz >& spec/src1A.log

getspecnoarf.py nu90201039002B01_cl.evt reg=src.reg \
    indir=. outdir=spec outprefix=src1B \
    attfile=../auxil/nu90201039002_att.fits.gz >& spec/src1B.log

# Fix the spectral products' RESPFILE keywords (optional)
find . -iname "*.pha" -type f -exec phafix.py {} \;

# 3.1 Instrument maps
nuskybgd mkinstrmap nu90201039002A01_cl.evt
nuskybgd mkinstrmap nu90201039002B01_cl.evt

# 3.2 Aspect histogram images
nuskybgd aspecthist nu90201039002A_det1.fits gtifile=nu90201039002A01_gti.fits \
    out=aspecthistA.fits
nuskybgd aspecthist nu90201039002B_det1.fits gtifile=nu90201039002B01_gti.fits \
    out=aspecthistB.fits

# 3.3 Background aperture images
cd bgd
nuskybgd projbgd refimg=../imB3to20keV.fits out=bgdapA.fits \
	mod=A det=1234 chipmap=../newinstrmapA.fits aspect=../aspecthistA.fits
nuskybgd projbgd refimg=../imB3to20keV.fits out=bgdapB.fits \
	mod=B det=1234 chipmap=../newinstrmapB.fits aspect=../aspecthistB.fits

# 3.4 The background model (glue: bgdinfo.json as the README prints it)
cat > bgdinfo.json <<'JSON'
{
    "bgfiles": [
        "bgd1A_sr_g30.pha", "bgd1B_sr_g30.pha",
        "bgd2A_sr_g30.pha", "bgd2B_sr_g30.pha",
        "bgd3A_sr_g30.pha", "bgd3B_sr_g30.pha"
    ],

    "regfiles": [
        "bgd1.reg", "bgd1.reg",
        "bgd2.reg", "bgd2.reg",
        "bgd3.reg", "bgd3.reg"
    ],

    "refimgf": "bgdapA.fits",

    "bgdapfiles": {
        "A": "bgdapA.fits",
        "B": "bgdapB.fits"
    },

    "bgddetfiles": {
        "A": [
            "det0Aim.fits",
            "det1Aim.fits",
            "det2Aim.fits",
            "det3Aim.fits"
        ],
        "B": [
            "det0Bim.fits",
            "det1Bim.fits",
            "det2Bim.fits",
            "det3Bim.fits"
        ]
    },

    "fcxb_config": {
        "links": [
            [1, 2],
            [3, 4],
            [5, 6]
        ]
    }
}
JSON
nuskybgd fit bgdinfo.json savefile=IC342bgd >& fit.log

# glue: XSPEC's "save all mymodel" after the fit, and the source spectrum beside it
cp IC342bgd_fit.xcm mymodel.xcm
cp ../src1.reg src1.reg
cp ../spec/src1A_sr_g30.pha src1_g30.pha
cp ../spec/src1A_sr.rmf src1A_sr.rmf

# 4.1 Spectral analysis
nuskybgd spec bgdinfo.json mymodel.xcm src1.reg src1_g30.pha
nuskybgd simplify bgdinfo.json bgd_src1.xcm

# 4.2 Generate background images
nuskybgd image bgdinfo.json mymodel.xcm 3 20

# Add detabs to rmf
cd ..
absrmf.py nu90201039002A01_cl.evt bgd/det
absrmf.py nu90201039002B01_cl.evt bgd/det

# Create fake spectra of apbgd and fcxb components
cd bgd/
imrefspec.py AB 0123

# the port's bin/mkimgs form
cd ..
mkimgs nu70001000002A01_cl.evt.gz im3to25keV 3 25
